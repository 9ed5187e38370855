using System.Text.Json;
using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.UnitTests;

/// <summary>The metadata a post carries without being asked: Mattermost's message-attachment embed.</summary>
public sealed class PostMetadataTests
{
    private static Post PostWith(Dictionary<string, JsonElement> props, long deleteAt = 0) =>
        new() { Id = Ids.New(), UserId = Ids.New(), ChannelId = Ids.New(), Message = "hi", Props = props, DeleteAt = deleteAt };

    [Fact]
    public void A_post_with_attachments_carries_a_message_attachment_embed()
    {
        var post = PostWith(new() { ["attachments"] = JsonSerializer.SerializeToElement(new[] { new { text = "x" } }) });
        Assert.Equal("""{"metadata":{"embeds":[{"type":"message_attachment"}]}}""",
            JsonSerializer.Serialize(new { post.Metadata }, ServiceDefaultsExtensions.JsonOptions));
    }

    [Fact]
    public void Other_and_deleted_posts_carry_empty_metadata_unless_it_is_set()
    {
        Assert.Empty(PostWith([]).Metadata);
        Assert.Empty(PostWith(new() { ["attachments"] = JsonSerializer.SerializeToElement(Array.Empty<object>()) }, deleteAt: 5).Metadata);
        var set = PostWith([]) with { Metadata = new() { ["priority"] = JsonSerializer.SerializeToElement(new { priority = "" }) } };
        Assert.Equal(["priority"], set.Metadata.Keys);
    }
}
