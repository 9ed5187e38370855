using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.ServiceDefaults;

namespace Chat.Store.Model;

public sealed record Post
{
    public required string Id { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long EditAt { get; init; }
    public long DeleteAt { get; init; }
    public bool IsPinned { get; init; }
    public required string UserId { get; init; }
    public required string ChannelId { get; init; }
    public string RootId { get; init; } = "";
    public string OriginalId { get; init; } = "";
    public string Message { get; init; } = "";
    public string Type { get; init; } = "";
    public Dictionary<string, JsonElement> Props { get; init; } = [];
    /// <summary>The attached files' ids; absent when none, as Mattermost leaves it out.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? FileIds { get; init; }
    public string Hashtags { get; init; } = "";
    public string PendingPostId { get; init; } = "";
    public long ReplyCount { get; init; }
    public bool HasReactions { get; init; }

    /// <summary>The thread's last reply (collapsed threads only; omitted otherwise, as Mattermost omits 0).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long LastReplyAt { get; init; }

    /// <summary>The thread's repliers (collapsed threads only): stubs holding the id, or profiles when extended; else null.</summary>
    public IReadOnlyList<object>? Participants { get; init; }

    /// <summary>Whether the caller follows the thread (collapsed threads only); omitted without a membership.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IsFollowing { get; init; }

    /// <summary>
    /// What Mattermost's PreparePostForClient adds: unless set, the embeds read from the props (a post with message
    /// attachments shows them as a "message_attachment" embed). Link previews would need the linked pages fetched,
    /// which this server does not do, and no post carries a priority, so neither appears.
    /// </summary>
    public Dictionary<string, JsonElement> Metadata { get => metadata ?? PostMetadata.Of(this); init => metadata = value; }

    private Dictionary<string, JsonElement>? metadata;

    /// <summary>A system message (joins, leaves, ...): Mattermost lets nobody edit or pin one. Not on the wire.</summary>
    [JsonIgnore]
    public bool IsSystemMessage => Type.StartsWith("system_", StringComparison.Ordinal);

    /// <summary>
    /// Props that say who or what made a post, or make the server act: only the server and plugins may set them
    /// (Mattermost's reserved post props). A user's create or edit through the API drops them, so nobody can pose as a
    /// webhook, a bot or another name, or add members by a prop.
    /// </summary>
    public static readonly FrozenSet<string> ReservedProps = FrozenSet.ToFrozenSet(
    [
        "from_webhook", "from_bot", "from_plugin", "from_oauth_app", "override_username", "override_icon_url",
        "override_icon_emoji", "webhook_display_name", "add_channel_member", "force_notification", "mentionHighlightDisabled",
        "disable_group_highlight",
    ], StringComparer.Ordinal);

    /// <summary><paramref name="props"/> without the <see cref="ReservedProps"/>.</summary>
    public static Dictionary<string, JsonElement> UserProps(Dictionary<string, JsonElement>? props) =>
        props is null ? [] : props.Where(p => !ReservedProps.Contains(p.Key)).ToDictionary(StringComparer.Ordinal);

    /// <summary>
    /// What is still told of a deleted post (to `since` readers and in post_deleted): which post it was, where and
    /// when, so clients can drop or mark it — never its message, props or metadata.
    /// </summary>
    public Post Tombstone() => new()
    {
        Id = Id,
        UserId = UserId,
        ChannelId = ChannelId,
        RootId = RootId,
        CreateAt = CreateAt,
        UpdateAt = UpdateAt,
        DeleteAt = DeleteAt,
    };

    /// <summary>
    /// Mattermost's Post.IsValid for the rules this server keeps (model.post.is_valid.*): a message that is not blank
    /// (unless files are attached) and has at most <paramref name="maxPostSizeRunes"/> characters
    /// (ServiceSettings.MaxPostSizeRunes), and at most <see cref="MaxFileIds"/> files; null when valid.
    /// </summary>
    public AppErrorException? IsValid(int maxPostSizeRunes) =>
        (string.IsNullOrWhiteSpace(Message) && FileIds is not { Count: > 0 }) || Message.EnumerateRunes().Count() > maxPostSizeRunes
            ? AppErrorException.BadRequest("model.post.is_valid.msg.app_error", $"A message must have 1 to {maxPostSizeRunes} characters.")
            : FileIds is { Count: > MaxFileIds }
                ? AppErrorException.BadRequest("model.post.is_valid.file_ids.app_error", $"A post may have at most {MaxFileIds} files.")
                : null;

    /// <summary>Mattermost allows 300 runes of file_ids JSON: ten ids.</summary>
    public const int MaxFileIds = 10;
}

/// <summary>Mattermost's PostList: ids newest first, the posts by id, and the neighbours of the page.</summary>
public sealed record PostList
{
    public List<string> Order { get; init; } = [];
    public Dictionary<string, Post> Posts { get; init; } = [];
    public string NextPostId { get; init; } = "";
    public string PrevPostId { get; init; } = "";
    public bool HasNext { get; init; }
}
