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
    public long TotalMsgCount { get; init; }
    public string CreatorId { get; init; } = "";

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsDirect => Type is ChannelTypes.Direct or ChannelTypes.Group;

    /// <summary>Direct channels are named after their two members, smaller id first, as Mattermost does.</summary>
    public static string DirectName(string userA, string userB) =>
        string.CompareOrdinal(userA, userB) < 0 ? $"{userA}__{userB}" : $"{userB}__{userA}";

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

public sealed record ChannelMember
{
    public required string ChannelId { get; init; }
    public required string UserId { get; init; }
    public bool SchemeGuest { get; init; }
    public bool SchemeUser { get; init; } = true;
    public bool SchemeAdmin { get; init; }
    public long LastViewedAt { get; init; }
    public long MsgCount { get; init; }
    public long MentionCount { get; init; }
    public long LastUpdateAt { get; init; }
    public Dictionary<string, string> NotifyProps { get; init; } = new()
    {
        ["desktop"] = "default",
        ["email"] = "default",
        ["mark_unread"] = "all",
        ["push"] = "default",
    };
    public string Roles => Model.Roles.OfChannelMember(SchemeAdmin);
}
