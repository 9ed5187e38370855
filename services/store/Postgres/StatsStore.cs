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
    /// The channel's active members, the guests among them, its live pinned posts and the live files attached to its
    /// posts (Mattermost's channel file count; uploads no post has claimed are nobody's to see yet), found through the
    /// channel's posts and the files' post index; files_count is -1
    /// when <paramref name="countFiles"/> is false, as Mattermost answers.
    /// </summary>
    public Task<ChannelStats> GetChannelStatsAsync(string channelId, bool countFiles) => router.ReadAsync(ReadTarget.Replica, async connection =>
    {
        var (members, guests, pinned, files) = await connection.QuerySingleAsync<(long, long, long, long)>("""
            SELECT (SELECT count(*) FROM channel_members m JOIN users u ON u.id = m.user_id WHERE m.channel_id = @channelId AND u.delete_at = 0),
                   (SELECT count(*) FROM channel_members m JOIN users u ON u.id = m.user_id WHERE m.channel_id = @channelId AND u.delete_at = 0 AND m.scheme_guest),
                   (SELECT count(*) FROM posts WHERE channel_id = @channelId AND is_pinned AND delete_at = 0),
                   CASE WHEN @countFiles THEN (SELECT count(*) FROM posts p JOIN file_infos f ON f.post_id = p.id
                                               WHERE p.channel_id = @channelId AND p.file_ids <> '[]' AND f.delete_at = 0) ELSE -1 END
            """, new { channelId, countFiles });
        return new ChannelStats { ChannelId = channelId, MemberCount = members, GuestCount = guests, PinnedPostCount = pinned, FilesCount = files };
    });
}
