using System.Text.RegularExpressions;
using Chat.ServiceDefaults;

namespace Chat.Store.Model;

/// <summary>A user's emoji reaction to a post, in Mattermost's shape.</summary>
public sealed partial record Reaction
{
    public required string UserId { get; init; }
    public required string PostId { get; init; }
    public required string EmojiName { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public string RemoteId { get; init; } = "";
    public string ChannelId { get; init; } = "";

    /// <summary>Mattermost's Reaction.IsValid rule for the name (model.reaction.is_valid.emoji_name): null when valid.</summary>
    public static AppErrorException? IsValidName(string name) =>
        name.Length is > 0 and <= Emoji.NameMaxLength && NamePattern().IsMatch(name)
            ? null
            : AppErrorException.BadRequest("model.reaction.is_valid.emoji_name.app_error", "Invalid emoji name.");

    [GeneratedRegex("^[a-zA-Z0-9+_-]+$")]
    private static partial Regex NamePattern();
}
