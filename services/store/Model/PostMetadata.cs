using System.Text.Json;

namespace Chat.Store.Model;

/// <summary>The parts of a post's metadata that follow from the post itself (Mattermost's getEmbedForPost).</summary>
public static class PostMetadata
{
    private static readonly JsonElement MessageAttachmentEmbeds = JsonSerializer.SerializeToElement(new[] { new { type = "message_attachment" } });

    /// <summary>
    /// {"embeds": [{"type": "message_attachment"}]} for a post whose props hold "attachments", as Mattermost marks
    /// it (the attachments themselves stay in the props); {} otherwise, and always for a deleted post.
    /// </summary>
    public static Dictionary<string, JsonElement> Of(Post post) =>
        post.DeleteAt == 0 && post.Props.ContainsKey("attachments")
            ? new() { ["embeds"] = MessageAttachmentEmbeds.Clone() }
            : [];
}
