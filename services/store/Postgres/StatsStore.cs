using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;

namespace Chat.Store.Postgres;

/// <summary>Team and channel statistics, counted as Mattermost's stores count them.</summary>
/// <remarks>Reads may run on a replica; a user's own reads stay on the primary for a while after their writes.</remarks>
public sealed class StatsStore(DatabaseRouter router)
{
    /// <summary>The team's members, and those whose accounts are not deactivated.</summary>
    public Task<TeamStats> GetTeamStatsAsync(string teamId) => router.ReadAsync(ReadTarget.Replica, async connection =>
    {
        var (total, active) = await connection.QuerySingleAsync<(long, long)>("""
            SELECT count(*), count(*) FILTER (WHERE u.delete_at = 0)
            FROM team_members m JOIN users u ON u.id = m.user_id
            WHERE m.team_id = @teamId AND m.delete_at = 0
            """, new { teamId });
        return new TeamStats { TeamId = teamId, TotalMemberCount = total, ActiveMemberCount = active };
    });

    /// <summary>
    /// The channel's active members, the guests among them and its live pinned posts. Files: no post carries files
    /// yet (attachments belong to the files issue), so a channel has none; -1 when <paramref name="countFiles"/> is
    /// false, as Mattermost answers.
    /// </summary>
    public Task<ChannelStats> GetChannelStatsAsync(string channelId, bool countFiles) => router.ReadAsync(ReadTarget.Replica, async connection =>
    {
        var (members, guests, pinned) = await connection.QuerySingleAsync<(long, long, long)>("""
            SELECT (SELECT count(*) FROM channel_members m JOIN users u ON u.id = m.user_id WHERE m.channel_id = @channelId AND u.delete_at = 0),
                   (SELECT count(*) FROM channel_members m JOIN users u ON u.id = m.user_id WHERE m.channel_id = @channelId AND u.delete_at = 0 AND m.scheme_guest),
                   (SELECT count(*) FROM posts WHERE channel_id = @channelId AND is_pinned AND delete_at = 0)
            """, new { channelId });
        return new ChannelStats { ChannelId = channelId, MemberCount = members, GuestCount = guests, PinnedPostCount = pinned, FilesCount = countFiles ? 0 : -1 };
    });
}
