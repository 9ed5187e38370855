using System.Text.Json.Serialization;

namespace Chat.Store.Model;

/// <summary>Mattermost's TeamStats: the team's members, and those of them whose accounts are active.</summary>
public sealed record TeamStats
{
    public required string TeamId { get; init; }
    public long TotalMemberCount { get; init; }
    public long ActiveMemberCount { get; init; }
}

/// <summary>
/// Mattermost's ChannelStats: active members, guests among them, pinned posts, and files (-1 when the client asked
/// to leave files out).
/// </summary>
public sealed record ChannelStats
{
    public required string ChannelId { get; init; }
    public long MemberCount { get; init; }
    public long GuestCount { get; init; }
    [JsonPropertyName("pinnedpost_count")]
    public long PinnedPostCount { get; init; }
    public long FilesCount { get; init; }
}

/// <summary>
/// One entry of GET /channels/{id}/member_counts_by_group: the channel's members in one user group. There are no
/// user groups here (they come from LDAP or custom groups, both unlicensed in Mattermost's free edition), so the
/// list is always empty.
/// </summary>
public sealed record ChannelMemberCountByGroup
{
    public required string GroupId { get; init; }
    public long ChannelMemberCount { get; init; }
    public long ChannelMemberTimezonesCount { get; init; }
}
