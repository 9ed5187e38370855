using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Store.Postgres;

/// <summary>
/// Threads and who follows them (Mattermost's ThreadStore): the counters replies raise, each user's read point and
/// unread mentions, the followed-threads lists, and the posts of one thread.
/// </summary>
/// <remarks>
/// Lock order, shared with the post path: thread rows (by post id), then thread memberships (by post id, user id),
/// then channels and channel members (<see cref="PostStore.CountInChannelsAndCommitAsync"/>). Unread replies are
/// counted from the posts themselves, so they never drift from what the thread holds.
/// </remarks>
public sealed class ThreadStore(NpgsqlDataSource db, DatabaseRouter router)
{
    private const string DbNowMs = PostStore.DbNowMs;

    /// <summary>The user's state in a thread (m: thread_memberships, t: threads).</summary>
    private const string StateColumns = """
        t.post_id, t.channel_id, t.team_id, t.reply_count, t.last_reply_at, t.participants, t.delete_at,
        m.user_id, m.following, m.last_viewed, m.unread_mentions,
        (SELECT count(*) FROM posts p WHERE p.root_id = t.post_id AND p.create_at > m.last_viewed AND p.delete_at = 0) AS unread_replies
        """;

    /// <summary>What one batch of replies changed, for the thread_updated events of the threads' followers.</summary>
    public sealed record AppliedReplies(
        IReadOnlyDictionary<(string PostId, string UserId), ThreadMemberState> Before,
        IReadOnlyList<ThreadMemberState> After,
        IReadOnlyDictionary<string, Post> Roots,
        IReadOnlyDictionary<string, User> Participants);

    /// <summary>
    /// Applies a batch of replies (already inserted in the caller's transaction) to their threads: creates missing
    /// threads, raises reply counts relative to the row, moves the repliers to the end of the participants, makes
    /// the root authors follow threads they never had a membership of, and applies <paramref name="members"/>.
    /// Returns the followers' states before and after, the roots and the participants' profiles, in one round trip.
    /// </summary>
    public static async Task<AppliedReplies> ApplyRepliesAsync(
        NpgsqlTransaction transaction, IReadOnlyList<ThreadReplies> threads, IReadOnlyList<ThreadMembershipUpdate> members, IReadOnlyList<string> replyIds)
    {
        var ordered = threads.OrderBy(t => t.PostId, StringComparer.Ordinal).ToList();
        var rootIds = Text([.. ordered.Select(t => t.PostId)]);
        var repliers = ordered.SelectMany(t => t.Repliers.Select(u => (t.PostId, UserId: u))).ToList();
        var updates = members.OrderBy(m => m.PostId, StringComparer.Ordinal).ThenBy(m => m.UserId, StringComparer.Ordinal).ToList();
        var memberPosts = Text([.. updates.Select(m => m.PostId)]);
        var memberUsers = Text([.. updates.Select(m => m.UserId)]);
        await using var batch = new NpgsqlBatch(transaction.Connection(), transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    INSERT INTO threads (post_id, channel_id, team_id)
                    SELECT * FROM unnest($1, $2, $3) ORDER BY 1
                    ON CONFLICT (post_id) DO NOTHING
                    """)
                {
                    Parameters = { rootIds, Text([.. ordered.Select(t => t.ChannelId)]), Text([.. ordered.Select(t => t.TeamId)]) },
                },
                new NpgsqlBatchCommand("SELECT 1 FROM threads WHERE post_id = ANY($1) ORDER BY post_id FOR NO KEY UPDATE") { Parameters = { rootIds.Clone() } },
                // Before: the replies of this batch are already in posts, so they are left out of the unread count.
                new NpgsqlBatchCommand($"""
                    SELECT t.post_id, t.channel_id, t.team_id, t.reply_count, t.last_reply_at, t.participants, t.delete_at,
                           m.user_id, m.following, m.last_viewed, m.unread_mentions,
                           (SELECT count(*) FROM posts p WHERE p.root_id = t.post_id AND p.create_at > m.last_viewed AND p.delete_at = 0
                                AND p.id <> ALL($2)) AS unread_replies
                    FROM threads t JOIN thread_memberships m ON m.post_id = t.post_id
                    WHERE t.post_id = ANY($1) AND m.following
                    """)
                {
                    Parameters = { rootIds.Clone(), Text([.. replyIds]) },
                },
                new NpgsqlBatchCommand("""
                    UPDATE threads t
                    SET reply_count = t.reply_count + u.n, last_reply_at = greatest(t.last_reply_at, u.last_at),
                        participants = array(SELECT x.p FROM unnest(t.participants) WITH ORDINALITY AS x(p, n) WHERE x.p <> ALL(r.ids) ORDER BY x.n) || r.ids
                    FROM unnest($1, $2, $3) AS u(post_id, n, last_at)
                         JOIN (SELECT x.post_id, array_agg(x.user_id ORDER BY x.n) AS ids
                               FROM unnest($4, $5) WITH ORDINALITY AS x(post_id, user_id, n) GROUP BY x.post_id) r ON r.post_id = u.post_id
                    WHERE t.post_id = u.post_id
                    """)
                {
                    Parameters =
                    {
                        rootIds.Clone(),
                        Bigint([.. ordered.Select(t => t.Replies)]),
                        Bigint([.. ordered.Select(t => t.LastReplyAt)]),
                        Text([.. repliers.Select(r => r.PostId)]),
                        Text([.. repliers.Select(r => r.UserId)]),
                    },
                },
                // New memberships follow, nothing read. The root's author is among them (a webhook's root has none).
                new NpgsqlBatchCommand($"""
                    INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated, unread_mentions)
                    SELECT n.post_id, n.user_id, true, 0, {DbNowMs}, 0
                    FROM (SELECT * FROM unnest($1, $2) AS u(post_id, user_id)
                          UNION
                          SELECT r.id, r.user_id FROM posts r
                          WHERE r.id = ANY($3) AND r.props->>'from_webhook' IS NULL AND EXISTS (SELECT 1 FROM users WHERE users.id = r.user_id)) n
                    ORDER BY n.post_id, n.user_id
                    ON CONFLICT (post_id, user_id) DO NOTHING
                    """)
                {
                    Parameters = { memberPosts, memberUsers, rootIds.Clone() },
                },
                new NpgsqlBatchCommand("""
                    SELECT 1 FROM thread_memberships m JOIN unnest($1, $2) AS u(post_id, user_id) ON m.post_id = u.post_id AND m.user_id = u.user_id
                    ORDER BY m.post_id, m.user_id
                    FOR NO KEY UPDATE OF m
                    """)
                {
                    Parameters = { memberPosts.Clone(), memberUsers.Clone() },
                },
                new NpgsqlBatchCommand($"""
                    UPDATE thread_memberships m SET
                        following = m.following OR u.follow,
                        last_viewed = CASE WHEN u.viewed_at > 0 THEN greatest(m.last_viewed, u.viewed_at) ELSE m.last_viewed END,
                        unread_mentions = CASE WHEN u.viewed_at > 0 THEN 0 ELSE m.unread_mentions END + u.mentions,
                        last_updated = {DbNowMs}
                    FROM unnest($1, $2, $3, $4, $5) AS u(post_id, user_id, follow, viewed_at, mentions)
                    WHERE m.post_id = u.post_id AND m.user_id = u.user_id
                    """)
                {
                    Parameters =
                    {
                        memberPosts.Clone(),
                        memberUsers.Clone(),
                        new NpgsqlParameter { Value = updates.Select(m => m.Follow).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean },
                        Bigint([.. updates.Select(m => m.ViewedAt)]),
                        Bigint([.. updates.Select(m => m.Mentions)]),
                    },
                },
                new NpgsqlBatchCommand($"""
                    SELECT {StateColumns}
                    FROM threads t JOIN thread_memberships m ON m.post_id = t.post_id
                    WHERE t.post_id = ANY($1) AND m.following
                    ORDER BY t.post_id, m.user_id
                    """)
                {
                    Parameters = { rootIds.Clone() },
                },
                new NpgsqlBatchCommand($"SELECT {PostStore.Columns} FROM posts WHERE id = ANY($1)") { Parameters = { rootIds.Clone() } },
                new NpgsqlBatchCommand($"SELECT {UserStore.Columns} FROM users WHERE id IN (SELECT unnest(participants) FROM threads WHERE post_id = ANY($1))")
                {
                    Parameters = { rootIds.Clone() },
                },
            },
        };
        var before = new Dictionary<(string, string), ThreadMemberState>();
        var after = new List<ThreadMemberState>();
        var roots = new Dictionary<string, Post>(StringComparer.Ordinal);
        var users = new Dictionary<string, User>(StringComparer.Ordinal);
        // The result sets are told apart by their columns (the locks' and the writes' have nothing to read); the
        // followers' states come twice, before then after.
        var statesRead = 0;
        await using var reader = await batch.ExecuteReaderAsync();
        do
        {
            if (reader.FieldCount < 2)
            {
                continue;
            }
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToHashSet(StringComparer.Ordinal);
            if (columns.Contains("unread_replies"))
            {
                var parse = reader.GetRowParser<ThreadMemberState>();
                var first = statesRead++ == 0;
                while (await reader.ReadAsync())
                {
                    var state = parse(reader);
                    if (first)
                    {
                        before[(state.PostId, state.UserId)] = state;
                    }
                    else
                    {
                        after.Add(state);
                    }
                }
            }
            else if (columns.Contains("message"))
            {
                var parse = reader.GetRowParser<Post>();
                while (await reader.ReadAsync())
                {
                    var root = parse(reader);
                    roots[root.Id] = root;
                }
            }
            else if (columns.Contains("username"))
            {
                var parse = reader.GetRowParser<User>();
                while (await reader.ReadAsync())
                {
                    var user = parse(reader);
                    users[user.Id] = user;
                }
            }
        }
        while (await reader.NextResultAsync());
        return new AppliedReplies(before, after, roots, users);
    }

    /// <summary>
    /// A deleted post's part in its thread, in the caller's transaction: a deleted reply leaves the count (and the
    /// participants, if it was its author's last), a deleted root deletes the thread.
    /// </summary>
    public static Task OnPostDeletedAsync(NpgsqlTransaction transaction, Post deleted) =>
        deleted.RootId.Length == 0
            ? transaction.Connection().ExecuteAsync("UPDATE threads SET delete_at = @DeleteAt WHERE post_id = @Id", new { deleted.DeleteAt, deleted.Id }, transaction)
            : transaction.Connection().ExecuteAsync("""
                UPDATE threads t SET
                    reply_count = greatest(t.reply_count - 1, 0),
                    participants = CASE WHEN EXISTS (SELECT 1 FROM posts p WHERE p.root_id = t.post_id AND p.user_id = @UserId AND p.delete_at = 0)
                                        THEN t.participants ELSE array_remove(t.participants, @UserId) END
                WHERE t.post_id = @RootId
                """, new { deleted.RootId, deleted.UserId }, transaction);

    /// <summary>The thread's counters for each of <paramref name="rootIds"/> that has a thread, and whether <paramref name="userId"/> follows it.</summary>
    public Task<IReadOnlyDictionary<string, ThreadMemberState>> GetInfoAsync(IReadOnlyCollection<string> rootIds, string userId) =>
        router.ReadAsync<IReadOnlyDictionary<string, ThreadMemberState>>(ReadTarget.Replica, async connection =>
            rootIds.Count == 0
                ? new Dictionary<string, ThreadMemberState>()
                : (await connection.QueryAsync<ThreadMemberState>("""
                    SELECT t.post_id, t.channel_id, t.team_id, t.reply_count, t.last_reply_at, t.participants, t.delete_at,
                           coalesce(m.user_id, '') AS user_id, coalesce(m.following, false) AS following,
                           coalesce(m.last_viewed, -1) AS last_viewed, coalesce(m.unread_mentions, 0) AS unread_mentions
                    FROM threads t LEFT JOIN thread_memberships m ON m.post_id = t.post_id AND m.user_id = @userId
                    WHERE t.post_id = ANY(@ids)
                    """, new { ids = rootIds.ToArray(), userId })).ToDictionary(s => s.PostId, StringComparer.Ordinal));

    /// <summary>The user's state in one thread; null when the user has no membership of it.</summary>
    public async Task<ThreadMemberState?> GetStateAsync(string userId, string postId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<ThreadMemberState>($"""
            SELECT {StateColumns}
            FROM threads t JOIN thread_memberships m ON m.post_id = t.post_id
            WHERE t.post_id = @postId AND m.user_id = @userId
            """, new { postId, userId });
    }

    /// <summary>The followed threads of a team (and of direct and group channels) the query asks for, newest reply first.</summary>
    public Task<(IReadOnlyList<ThreadMemberState> Threads, long Total, long UnreadThreads, long UnreadMentions)> GetForUserAsync(string userId, string teamId, UserThreadsQuery query) =>
        router.ReadAsync<(IReadOnlyList<ThreadMemberState>, long, long, long)>(ReadTarget.Replica, async connection =>
        {
            const string InTeam = "m.user_id = @userId AND m.following AND (t.team_id = @teamId OR t.team_id = '') AND (@deleted OR t.delete_at = 0)";
            var threads = new List<ThreadMemberState>();
            if (!query.TotalsOnly)
            {
                var descending = query.After.Length == 0;
                threads.AddRange(await connection.QueryAsync<ThreadMemberState>($"""
                    SELECT {StateColumns}
                    FROM thread_memberships m JOIN threads t ON t.post_id = m.post_id
                    WHERE {InTeam}
                      AND (@since = 0 OR m.last_updated >= @since OR t.last_reply_at >= @since)
                      AND (NOT @unread OR m.last_viewed < t.last_reply_at)
                      AND (@before = '' OR t.last_reply_at < (SELECT last_reply_at FROM threads WHERE post_id = @before))
                      AND (@after = '' OR t.last_reply_at > (SELECT last_reply_at FROM threads WHERE post_id = @after))
                    ORDER BY {(descending ? "t.last_reply_at DESC, t.post_id DESC" : "t.last_reply_at ASC, t.post_id ASC")}
                    LIMIT @perPage
                    """, new { userId, teamId, deleted = query.Deleted, since = query.Since, unread = query.Unread, before = query.Before, after = query.After, perPage = query.PerPage }));
            }
            if (query.ThreadsOnly)
            {
                return (threads, 0L, 0L, 0L);
            }
            var totals = await connection.QuerySingleAsync<(long Total, long Unread, long Mentions)>($"""
                SELECT count(*), count(*) FILTER (WHERE m.last_viewed < t.last_reply_at), coalesce(sum(m.unread_mentions), 0)::bigint
                FROM thread_memberships m JOIN threads t ON t.post_id = m.post_id
                WHERE {InTeam}
                """, new { userId, teamId, deleted = query.Deleted });
            return (threads, totals.Total, totals.Unread, totals.Mentions);
        });

    /// <summary>Per team of <paramref name="teamIds"/>: the user's unread followed threads and their unread mentions.</summary>
    public Task<IReadOnlyDictionary<string, (long Threads, long Mentions)>> GetTeamUnreadsAsync(string userId, IReadOnlyCollection<string> teamIds) =>
        router.ReadAsync<IReadOnlyDictionary<string, (long, long)>>(ReadTarget.Replica, async connection =>
            (await connection.QueryAsync<(string TeamId, long Threads, long Mentions)>("""
                SELECT t.team_id, count(*) FILTER (WHERE m.last_viewed < t.last_reply_at), coalesce(sum(m.unread_mentions), 0)::bigint
                FROM thread_memberships m JOIN threads t ON t.post_id = m.post_id
                WHERE m.user_id = @userId AND m.following AND t.team_id = ANY(@teamIds) AND t.delete_at = 0
                GROUP BY t.team_id
                """, new { userId, teamIds = teamIds.ToArray() })).ToDictionary(r => r.TeamId, r => (r.Threads, r.Mentions), StringComparer.Ordinal));

    /// <summary>Root posts by id (not deleted ones).</summary>
    public Task<IReadOnlyList<Post>> GetPostsAsync(IReadOnlyCollection<string> ids) =>
        router.ReadAsync<IReadOnlyList<Post>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<Post>($"SELECT {PostStore.Columns} FROM posts WHERE id = ANY(@ids)", new { ids = ids.ToArray() })]);

    /// <summary>
    /// Creates the thread of a root post if it has none yet (a thread may be followed before its first reply) and
    /// the user's membership, in the caller's transaction; returns the membership's state, locked.
    /// </summary>
    private static async Task<ThreadMemberState> MembershipAsync(NpgsqlTransaction transaction, Post root, string teamId, string userId, bool following)
    {
        var connection = transaction.Connection();
        await connection.ExecuteAsync($"""
            INSERT INTO threads (post_id, channel_id, team_id) VALUES (@Id, @ChannelId, @teamId) ON CONFLICT (post_id) DO NOTHING;
            INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated, unread_mentions)
            VALUES (@Id, @userId, @following, 0, {DbNowMs}, 0) ON CONFLICT (post_id, user_id) DO NOTHING;
            """, new { root.Id, root.ChannelId, teamId, userId, following }, transaction);
        return await connection.QuerySingleAsync<ThreadMemberState>($"""
            SELECT {StateColumns}
            FROM threads t JOIN thread_memberships m ON m.post_id = t.post_id
            WHERE t.post_id = @Id AND m.user_id = @userId
            FOR NO KEY UPDATE OF m
            """, new { root.Id, userId }, transaction);
    }

    /// <summary>
    /// Sets the user's read point in the thread (Mattermost's UpdateThreadReadForUser; a first read makes them follow
    /// it, a later one leaves following as it is): everything up
    /// to <paramref name="timestamp"/> counts as read, and <paramref name="mentionsAfter"/> (given the replies after
    /// it) as their unread mentions. Returns the state before and after.
    /// </summary>
    public static async Task<(ThreadMemberState Before, ThreadMemberState After)> SetReadAsync(
        NpgsqlTransaction transaction, Post root, string teamId, string userId, long timestamp, Func<IReadOnlyList<Post>, long> mentionsAfter)
    {
        var before = await MembershipAsync(transaction, root, teamId, userId, following: true);
        var connection = transaction.Connection();
        var later = timestamp >= before.LastReplyAt
            ? []
            : (await connection.QueryAsync<Post>($"""
                SELECT {PostStore.Columns} FROM posts
                WHERE root_id = @Id AND create_at > @timestamp AND delete_at = 0 AND user_id <> @userId
                ORDER BY create_at LIMIT 1000
                """, new { root.Id, timestamp, userId }, transaction)).ToList();
        var after = await connection.QuerySingleAsync<ThreadMemberState>($"""
            WITH changed AS (
                UPDATE thread_memberships SET last_viewed = @timestamp, unread_mentions = @mentions, last_updated = {DbNowMs}
                WHERE post_id = @Id AND user_id = @userId
                RETURNING *
            )
            SELECT t.post_id, t.channel_id, t.team_id, t.reply_count, t.last_reply_at, t.participants, t.delete_at,
                   m.user_id, m.following, m.last_viewed, m.unread_mentions,
                   (SELECT count(*) FROM posts p WHERE p.root_id = t.post_id AND p.create_at > m.last_viewed AND p.delete_at = 0) AS unread_replies
            FROM threads t JOIN changed m ON m.post_id = t.post_id
            """, new { root.Id, userId, timestamp, mentions = mentionsAfter(later) }, transaction);
        return (before, after);
    }

    /// <summary>
    /// Follows or stops following (Mattermost's UpdateThreadFollowForUser); following marks the thread read up to
    /// now. Returns the new state.
    /// </summary>
    public static async Task<ThreadMemberState> SetFollowingAsync(NpgsqlTransaction transaction, Post root, string teamId, string userId, bool following)
    {
        await MembershipAsync(transaction, root, teamId, userId, following);
        return await transaction.Connection().QuerySingleAsync<ThreadMemberState>($"""
            WITH changed AS (
                UPDATE thread_memberships SET following = @following, last_updated = {DbNowMs},
                    last_viewed = CASE WHEN @following THEN greatest(last_viewed, {DbNowMs}) ELSE last_viewed END,
                    unread_mentions = CASE WHEN @following THEN 0 ELSE unread_mentions END
                WHERE post_id = @Id AND user_id = @userId
                RETURNING *
            )
            SELECT t.post_id, t.channel_id, t.team_id, t.reply_count, t.last_reply_at, t.participants, t.delete_at,
                   m.user_id, m.following, m.last_viewed, m.unread_mentions, 0::bigint AS unread_replies
            FROM threads t JOIN changed m ON m.post_id = t.post_id
            """, new { root.Id, userId, following }, transaction);
    }

    /// <summary>Marks every thread the user follows in the team (and in direct and group channels) read; returns the time.</summary>
    public static async Task<long> MarkAllReadAsync(NpgsqlTransaction transaction, string userId, string teamId)
    {
        var connection = transaction.Connection();
        return await connection.QuerySingleAsync<long>($"""
            WITH locked AS (
                SELECT m.post_id FROM thread_memberships m JOIN threads t ON t.post_id = m.post_id
                WHERE m.user_id = @userId AND (t.team_id = @teamId OR t.team_id = '')
                ORDER BY m.post_id
                FOR NO KEY UPDATE OF m
            ), clock AS (SELECT {DbNowMs} AS ms),
            changed AS (
                UPDATE thread_memberships m SET last_viewed = greatest(m.last_viewed, clock.ms), unread_mentions = 0, last_updated = clock.ms
                FROM locked, clock
                WHERE m.post_id = locked.post_id AND m.user_id = @userId
            )
            SELECT ms FROM clock
            """, new { userId, teamId }, transaction);
    }

    /// <summary>
    /// The posts of a thread for GET /posts/{id}/thread (Mattermost's post store Get): the window of posts with
    /// <c>root_id = <paramref name="rootId"/></c> (and the root itself when <paramref name="withRoot"/>), after or
    /// before the cursor (time, then id) in the direction asked, at most <paramref name="perPage"/> + 1 (0: all).
    /// </summary>
    public Task<IReadOnlyList<Post>> GetThreadPostsAsync(string rootId, bool withRoot, ThreadPostsQuery query) =>
        router.ReadAsync<IReadOnlyList<Post>>(ReadTarget.Replica, async connection =>
        {
            var down = query.Direction != "up";
            var key = query.UpdatesOnly ? "update_at" : "create_at";
            var order = down ? $"{key} ASC, id ASC" : $"{key} DESC, id DESC";
            var cmp = down ? ">" : "<";
            return [.. await connection.QueryAsync<Post>($"""
                SELECT {PostStore.Columns} FROM posts
                WHERE (root_id = @rootId OR (@withRoot AND id = @rootId)) AND delete_at = 0
                  AND (@fromCreateAt = 0 OR create_at {cmp} @fromCreateAt OR (@fromPost <> '' AND create_at = @fromCreateAt AND id {cmp} @fromPost))
                  AND (@fromUpdateAt = 0 OR update_at {cmp} @fromUpdateAt OR (@fromPost <> '' AND update_at = @fromUpdateAt AND id {cmp} @fromPost))
                ORDER BY {order}
                LIMIT @limit
                """, new { rootId, withRoot, query.FromCreateAt, query.FromUpdateAt, query.FromPost, limit = query.PerPage == 0 ? (long?)null : query.PerPage + 1 })];
        });

    private static NpgsqlParameter Bigint(long[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };

    private static NpgsqlParameter Text(string[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}

/// <summary>The cursor and window of GET /posts/{id}/thread (perPage 0: the whole thread).</summary>
public sealed record ThreadPostsQuery(int PerPage, string FromPost, long FromCreateAt, long FromUpdateAt, string Direction, bool UpdatesOnly);
