using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>
/// Read state: marking channels viewed, and a user's memberships and unread counts across channels and teams. The
/// counts themselves are raised by posting (<see cref="PostStore.CountInChannelsAndCommitAsync"/>).
/// </summary>
/// <remarks>Lists may run on a replica (a user's own writes keep their reads on the primary for a while).</remarks>
public sealed class ReadStateStore(DatabaseRouter router)
{
    private static readonly string MemberColumns = string.Join(", ", ChannelStore.MemberColumns.Split(", ").Select(c => "m." + c));

    /// <summary>
    /// Marks the user's members of <paramref name="channelIds"/> viewed, in the caller's transaction: mentions
    /// cleared, everything the channel holds now counted as read (msg_count only grows), last_viewed_at raised to
    /// the channel's last post. Returns the new last_viewed_at of each channel the user is a member of.
    /// </summary>
    /// <remarks>
    /// The member rows are locked first, in a statement of their own: a post that mentions the user and committed
    /// while we waited for the lock is then seen by the update's fresh snapshot, so its mention is not cleared
    /// without its message being counted read.
    /// </remarks>
    public static async Task<IReadOnlyDictionary<string, long>> ViewAsync(NpgsqlTransaction transaction, string userId, IReadOnlyCollection<string> channelIds)
    {
        var ids = channelIds.Distinct().Order(StringComparer.Ordinal).ToArray();
        var users = Enumerable.Repeat(userId, ids.Length).ToArray();
        await using var batch = new NpgsqlBatch(transaction.Connection(), transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(PostStore.LockMembersSql) { Parameters = { Text(ids), Text(users) } },
                new NpgsqlBatchCommand("""
                    UPDATE channel_members m SET
                        mention_count = 0, mention_count_root = 0, urgent_mention_count = 0,
                        msg_count = greatest(m.msg_count, c.total_msg_count),
                        msg_count_root = greatest(m.msg_count_root, c.total_msg_count_root),
                        last_viewed_at = greatest(m.last_viewed_at, c.last_post_at),
                        last_update_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                    FROM channels c
                    WHERE c.id = m.channel_id AND m.channel_id = ANY($1) AND m.user_id = $2
                    RETURNING m.channel_id, m.last_viewed_at
                    """)
                {
                    Parameters = { Text(ids), new NpgsqlParameter { Value = userId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } },
                },
            },
        };
        var times = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync();
        await reader.NextResultAsync();
        while (await reader.ReadAsync())
        {
            times[reader.GetString(0)] = reader.GetInt64(1);
        }
        return times;
    }

    /// <summary>The user's members of a team's channels and of their direct and group channels (not archived ones).</summary>
    public Task<IReadOnlyList<ChannelMember>> GetMembersInTeamAsync(string userId, string teamId) =>
        router.ReadAsync<IReadOnlyList<ChannelMember>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<ChannelMember>($"""
                SELECT {MemberColumns} FROM channel_members m JOIN channels c ON c.id = m.channel_id
                WHERE m.user_id = @userId AND (c.team_id = @teamId OR c.team_id = '') AND c.delete_at = 0
                ORDER BY m.channel_id
                """, new { userId, teamId })]);

    /// <summary>Page <paramref name="page"/> of all the user's channel members (archived channels' too), with their teams, by channel id.</summary>
    public Task<IReadOnlyList<ChannelMemberWithTeamData>> GetMembersWithTeamDataAsync(string userId, int page, int perPage) =>
        router.ReadAsync<IReadOnlyList<ChannelMemberWithTeamData>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<ChannelMemberWithTeamData>($"""
                SELECT {MemberColumns}, coalesce(t.display_name, '') AS team_display_name, coalesce(t.name, '') AS team_name,
                       coalesce(t.update_at, 0) AS team_update_at
                FROM channel_members m JOIN channels c ON c.id = m.channel_id LEFT JOIN teams t ON t.id = c.team_id
                WHERE m.user_id = @userId
                ORDER BY m.channel_id LIMIT @perPage OFFSET @offset
                """, new { userId, perPage, offset = (long)page * perPage })]);

    /// <summary>Every channel the user is a member of, in all teams, direct and group channels included.</summary>
    public Task<IReadOnlyList<Channel>> GetChannelsAsync(string userId, bool includeDeleted) =>
        router.ReadAsync<IReadOnlyList<Channel>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<Channel>($"""
                SELECT {ChannelStore.PrefixedColumns} FROM channels c JOIN channel_members m ON m.channel_id = c.id
                WHERE m.user_id = @userId AND (@includeDeleted OR c.delete_at = 0)
                ORDER BY c.display_name, c.id
                """, new { userId, includeDeleted })]);

    /// <summary>The user's memberships of teams that exist.</summary>
    public Task<IReadOnlyList<TeamMember>> GetTeamMembersAsync(string userId) =>
        router.ReadAsync<IReadOnlyList<TeamMember>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<TeamMember>("""
                SELECT m.team_id, m.user_id, m.delete_at, m.scheme_guest, m.scheme_user, m.scheme_admin, m.explicit_roles, m.create_at
                FROM team_members m JOIN teams t ON t.id = m.team_id
                WHERE m.user_id = @userId AND m.delete_at = 0 AND t.delete_at = 0
                ORDER BY m.team_id
                """, new { userId })]);

    /// <summary>
    /// The user's unread counts per team (but <paramref name="excludeTeamId"/>): sums over their channels of the team
    /// (not direct or group ones, not archived ones). Unread messages of muted channels (mark_unread "mention") do
    /// not count; their mentions do.
    /// </summary>
    public Task<IReadOnlyList<TeamUnread>> GetTeamUnreadsAsync(string userId, string excludeTeamId) =>
        router.ReadAsync<IReadOnlyList<TeamUnread>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<TeamUnread>("""
                SELECT tm.team_id, coalesce(u.msg_count, 0) AS msg_count, coalesce(u.mention_count, 0) AS mention_count,
                       coalesce(u.mention_count_root, 0) AS mention_count_root, coalesce(u.msg_count_root, 0) AS msg_count_root
                FROM team_members tm
                JOIN teams t ON t.id = tm.team_id AND t.delete_at = 0
                LEFT JOIN LATERAL (
                    SELECT sum(CASE WHEN m.notify_props->>'mark_unread' = 'mention' THEN 0 ELSE greatest(c.total_msg_count - m.msg_count, 0) END)::bigint AS msg_count,
                           sum(CASE WHEN m.notify_props->>'mark_unread' = 'mention' THEN 0 ELSE greatest(c.total_msg_count_root - m.msg_count_root, 0) END)::bigint AS msg_count_root,
                           sum(m.mention_count)::bigint AS mention_count, sum(m.mention_count_root)::bigint AS mention_count_root
                    FROM channel_members m JOIN channels c ON c.id = m.channel_id
                    WHERE m.user_id = tm.user_id AND c.team_id = tm.team_id AND c.delete_at = 0
                ) u ON true
                WHERE tm.user_id = @userId AND tm.delete_at = 0 AND tm.team_id <> @excludeTeamId
                ORDER BY tm.team_id
                """, new { userId, excludeTeamId })]);

    private static NpgsqlParameter Text(string[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text };
}
