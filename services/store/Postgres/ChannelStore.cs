using Chat.Store.Model;
using Dapper;
using Chat.Store.Caching;
using Chat.Store.Routing;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>What a user may do in a channel depends on these facts, read together in one round trip.</summary>
public sealed record ChannelAccess(Channel Channel, bool IsChannelMember, bool IsChannelAdmin, bool IsTeamMember, bool IsTeamAdmin);

/// <remarks>Lists may run on a replica; access checks stay on the primary (or its cache).</remarks>
public sealed partial class ChannelStore(NpgsqlDataSource db, DatabaseRouter router, StoreCaches caches)
{
    internal const string Columns = "id, create_at, update_at, delete_at, team_id, type, display_name, name, header, purpose, last_post_at, last_root_post_at, total_msg_count, total_msg_count_root, creator_id";
    internal const string MemberColumns = "channel_id, user_id, scheme_guest, scheme_user, scheme_admin, explicit_roles, last_viewed_at, msg_count, msg_count_root, mention_count, mention_count_root, urgent_mention_count, notify_props::text AS notify_props, last_update_at";
    private const string InsertSql = $"""
        INSERT INTO channels ({Columns})
        VALUES (@Id, @CreateAt, @UpdateAt, @DeleteAt, @TeamId, @Type, @DisplayName, @Name, @Header, @Purpose, @LastPostAt, @LastRootPostAt, @TotalMsgCount, @TotalMsgCountRoot, @CreatorId)
        """;
    internal static readonly string PrefixedColumns = string.Join(", ", Columns.Split(", ").Select(c => "c." + c));

    /// <summary>Creates the channel with its creator as channel admin, in the caller's transaction.</summary>
    public Task<Channel> CreateAsync(NpgsqlTransaction transaction, Channel channel, string creatorId) => DuplicateException.Guard(async () =>
    {
        var connection = transaction.Connection();
        await connection.ExecuteAsync(InsertSql, channel, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO channel_members (channel_id, user_id, scheme_admin, last_update_at) VALUES (@channelId, @creatorId, true, @now)",
            new { channelId = channel.Id, creatorId, now = channel.CreateAt }, transaction);
        return channel;
    });

    /// <summary>
    /// The direct channel of two users, created with both as members on first use (in the caller's transaction);
    /// concurrent callers agree on one, and only one of them sees <c>Created</c>.
    /// </summary>
    public Task<(Channel Channel, bool Created)> GetOrCreateDirectAsync(NpgsqlTransaction transaction, Channel candidate, string userA, string userB) =>
        GetOrCreateWithMembersAsync(transaction, candidate, [userA, userB]);

    /// <summary>Writes the patchable properties; cached access facts carry the channel, so they are dropped everywhere.</summary>
    public Task<Channel> PatchAsync(NpgsqlTransaction transaction, Channel channel, long now) => DuplicateException.Guard(async () =>
    {
        var saved = await transaction.Connection().QuerySingleAsync<Channel>($"""
            UPDATE channels SET name = @Name, display_name = @DisplayName, purpose = @Purpose, header = @Header, update_at = @now
            WHERE id = @Id
            RETURNING {Columns}
            """, new { channel.Id, channel.Name, channel.DisplayName, channel.Purpose, channel.Header, now }, transaction);
        await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.ChannelAccessCache, ChannelId: channel.Id));
        return saved;
    });

    public async Task<Channel?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Channel>($"SELECT {Columns} FROM channels WHERE id = @id", new { id });
    }

    public async Task<ChannelAccess?> GetAccessAsync(string channelId, string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        var rows = await connection.QueryAsync<Channel, AccessFlags, ChannelAccess>($"""
            SELECT {PrefixedColumns},
                   cm.user_id IS NOT NULL AS is_channel_member, coalesce(cm.scheme_admin, false) AS is_channel_admin,
                   tm.user_id IS NOT NULL AS is_team_member, coalesce(tm.scheme_admin, false) AS is_team_admin
            FROM channels c
            LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = @userId
            LEFT JOIN team_members tm ON tm.team_id = c.team_id AND tm.user_id = @userId
            WHERE c.id = @channelId
            """,
            (c, f) => new ChannelAccess(c, f.IsChannelMember, f.IsChannelAdmin, f.IsTeamMember, f.IsTeamAdmin),
            new { channelId, userId }, splitOn: "is_channel_member");
        return rows.SingleOrDefault();
    }

    /// <summary>
    /// The facts of <see cref="GetAccessAsync"/> from the node's cache (posting checks them on every post). The
    /// channel's counters (last_post_at, total_msg_count) may be behind; its identity, type and team are not.
    /// Only memberships are trusted from the cache: a cached non-membership is read again, so a user added on another
    /// node a moment ago can post here at once, before that node's invalidation arrives. (A removal reaches this cache
    /// with its invalidation, within a second.)
    /// </summary>
    public async Task<ChannelAccess?> GetCachedAccessAsync(string channelId, string userId)
    {
        var cached = await caches.ChannelAccess.GetAsync((channelId, userId), () => GetAccessAsync(channelId, userId));
        return cached is { IsChannelMember: false } ? await GetAccessAsync(channelId, userId) : cached;
    }

    /// <summary>The user's channels in a team, plus their direct and group channels, as Mattermost lists them.</summary>
    public Task<IReadOnlyList<Channel>> GetForUserAsync(string teamId, string userId, bool includeDeleted = false) => router.ReadAsync<IReadOnlyList<Channel>>(ReadTarget.Replica, async connection =>
        [.. await connection.QueryAsync<Channel>($"""
            SELECT {PrefixedColumns} FROM channels c JOIN channel_members m ON m.channel_id = c.id
            WHERE m.user_id = @userId AND (c.team_id = @teamId OR c.team_id = '') AND (@includeDeleted OR c.delete_at = 0)
            ORDER BY c.display_name, c.id
            """, new { teamId, userId, includeDeleted })]);

    public async Task<int> CountForTeamAsync(string teamId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM channels WHERE team_id = @teamId", new { teamId });
    }

    public async Task<ChannelMember?> GetMemberAsync(string channelId, string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<ChannelMember>(
            $"SELECT {MemberColumns} FROM channel_members WHERE channel_id = @channelId AND user_id = @userId", new { channelId, userId });
    }

    /// <summary>Adds the member unless present; returns the membership and whether this call added it.</summary>
    public async Task<(ChannelMember Member, bool Added)> AddMemberAsync(NpgsqlTransaction transaction, string channelId, string userId, long now)
    {
        var connection = transaction.Connection();
        var added = await connection.ExecuteAsync(
            "INSERT INTO channel_members (channel_id, user_id, last_update_at) VALUES (@channelId, @userId, @now) ON CONFLICT DO NOTHING",
            new { channelId, userId, now }, transaction) == 1;
        // A statement of its own: its snapshot also sees a row that a concurrent adder committed while we waited on it.
        var member = await connection.QuerySingleAsync<ChannelMember>(
            $"SELECT {MemberColumns} FROM channel_members WHERE channel_id = @channelId AND user_id = @userId", new { channelId, userId }, transaction);
        if (added)
        {
            await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.ChannelAccessCache, UserId: userId, ChannelId: channelId));
        }
        return (member, added);
    }

    public Task<IReadOnlyList<ChannelMember>> GetMembersAsync(string channelId, int page, int perPage) =>
        router.ReadAsync<IReadOnlyList<ChannelMember>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<ChannelMember>(
                $"SELECT {MemberColumns} FROM channel_members WHERE channel_id = @channelId ORDER BY user_id LIMIT @perPage OFFSET @offset",
                new { channelId, perPage, offset = (long)page * perPage })]);

    public async Task<bool> RemoveMemberAsync(NpgsqlTransaction transaction, string channelId, string userId)
    {
        var removed = await transaction.Connection().ExecuteAsync(
            "DELETE FROM channel_members WHERE channel_id = @channelId AND user_id = @userId", new { channelId, userId }, transaction) == 1;
        if (removed)
        {
            await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.ChannelAccessCache, UserId: userId, ChannelId: channelId));
        }
        return removed;
    }

    private sealed class AccessFlags
    {
        public bool IsChannelMember { get; init; }
        public bool IsChannelAdmin { get; init; }
        public bool IsTeamMember { get; init; }
        public bool IsTeamAdmin { get; init; }
    }
}
