using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Chat.ServiceDefaults;

namespace Chat.Store.Model;

public static class ChannelTypes
{
    public const string Open = "O";
    public const string Private = "P";
    public const string Direct = "D";
    public const string Group = "G";
}

public sealed partial record Channel
{
    public required string Id { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public string TeamId { get; init; } = "";
    public required string Type { get; init; }
    public string DisplayName { get; init; } = "";
    public required string Name { get; init; }
    public string Header { get; init; } = "";
    public string Purpose { get; init; } = "";
    public long LastPostAt { get; init; }
    public long LastRootPostAt { get; init; }
    /// <summary>Every post of the channel, system posts included; a member's unread count is this minus its msg_count.</summary>
    public long TotalMsgCount { get; init; }
    /// <summary>The posts that start a thread (root_id "").</summary>
    public long TotalMsgCountRoot { get; init; }
    public string CreatorId { get; init; } = "";

    // Mattermost's optional fields, null as it sends them for a channel without a scheme, group sync, sharing,
    // props or retention policy: none of these exist here.
    public string? SchemeId { get; init; }
    public bool? GroupConstrained { get; init; }
    public bool? Shared { get; init; }
    public Dictionary<string, JsonElement>? Props { get; init; }
    public string? PolicyId { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsDirect => Type is ChannelTypes.Direct or ChannelTypes.Group;

    /// <summary>Direct channels are named after their two members, smaller id first, as Mattermost does.</summary>
    public static string DirectName(string userA, string userB) =>
        string.CompareOrdinal(userA, userB) < 0 ? $"{userA}__{userB}" : $"{userB}__{userA}";

    /// <summary>
    /// A group channel's name, as Mattermost derives it: the hex SHA-1 of its members' ids, sorted and concatenated,
    /// so the same members always find the same channel.
    /// </summary>
    public static string GroupName(IEnumerable<string> userIds) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(string.Concat(userIds.Order(StringComparer.Ordinal)))));

    /// <summary>A group channel's display name: its members' usernames, sorted, comma-separated, at most 64 characters.</summary>
    public static string GroupDisplayName(IEnumerable<string> usernames)
    {
        var names = string.Join(", ", usernames.Order(StringComparer.Ordinal));
        return names.Length <= 64 ? names : names[..64];
    }

    /// <summary>
    /// A team channel's name: 1 to 64 of <c>a-z 0-9 - _</c>, beginning with a letter or digit, without the
    /// <c>__</c> that marks a direct channel's name.
    /// </summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name) && !name.Contains("__", StringComparison.Ordinal);

    /// <summary>
    /// Mattermost's Channel.IsValid for a channel a client defines (model.channel.is_valid.*): open or private, with a
    /// valid name; the first rule broken, or null. Direct channels are the server's own (<see cref="DirectName"/>).
    /// </summary>
    public AppErrorException? IsValid()
    {
        if (Type is not (ChannelTypes.Open or ChannelTypes.Private))
        {
            return AppErrorException.BadRequest("model.channel.is_valid.type.app_error", "Channel type must be 'O' (public) or 'P' (private).");
        }
        if (!IsValidName(Name))
        {
            return AppErrorException.BadRequest("model.channel.is_valid.name.app_error", "Channel name must be 1 to 64 lowercase letters, numbers, '-' or '_' and begin with a letter or number.");
        }
        return null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex NamePattern();
}

/// <summary>
/// A user's membership of a channel with its read state: <see cref="MsgCount"/> is how many of the channel's posts the
/// member has read (unread = the channel's total_msg_count minus it), the mention counts what mentioned them since
/// they last viewed it.
/// </summary>
public record ChannelMember
{
    public required string ChannelId { get; init; }
    public required string UserId { get; init; }
    public bool SchemeGuest { get; init; }
    public bool SchemeUser { get; init; } = true;
    public bool SchemeAdmin { get; init; }
    public string ExplicitRoles { get; init; } = "";

    /// <summary>Null only in another user's member (see <see cref="SanitizeFor"/>), where Mattermost omits it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastViewedAt { get; init; }
    public long MsgCount { get; init; }
    public long MsgCountRoot { get; init; }
    public long MentionCount { get; init; }
    public long MentionCountRoot { get; init; }
    public long UrgentMentionCount { get; init; }

    /// <summary>Set on every change of the row; null, and omitted, like <see cref="LastViewedAt"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastUpdateAt { get; init; }
    public Dictionary<string, string> NotifyProps { get; init; } = DefaultNotifyProps();
    public bool AutotranslationDisabled { get; init; }
    public string Roles => Model.Roles.OfChannelMember(SchemeAdmin);

    /// <summary>Mattermost 11 hides when another user last viewed the channel: only the member's own user sees the times.</summary>
    public ChannelMember SanitizeFor(string currentUserId) =>
        UserId == currentUserId ? this : this with { LastViewedAt = null, LastUpdateAt = null };

    /// <summary>Mattermost's model.GetDefaultChannelNotifyProps (also the column's default).</summary>
    public static Dictionary<string, string> DefaultNotifyProps() => new()
    {
        ["desktop"] = "default",
        ["email"] = "default",
        ["ignore_channel_mentions"] = "default",
        ["mark_unread"] = "all",
        ["push"] = "default",
        ["channel_auto_follow_threads"] = "off",
    };
}

/// <summary>A member with its channel's team, as GET /users/{id}/channel_members lists them ("" for direct channels).</summary>
public sealed record ChannelMemberWithTeamData : ChannelMember
{
    public string TeamDisplayName { get; init; } = "";
    public string TeamName { get; init; } = "";
    public long TeamUpdateAt { get; init; }
}
