using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

public sealed partial class PostStore(NpgsqlDataSource db)
{
    private const string PlainColumns = "id, create_at, update_at, edit_at, delete_at, is_pinned, user_id, channel_id, root_id, original_id, message, type, props::text AS props, hashtags, has_reactions";
    internal const string Columns = PlainColumns + ", NULLIF(file_ids, '[]'::jsonb)::text AS file_ids";
    private static readonly string PrefixedColumns =
        string.Join(", ", PlainColumns.Split(", ").Select(c => "p." + c)) + ", NULLIF(p.file_ids, '[]'::jsonb)::text AS file_ids";
    // Database time, so that create_at agrees with the seq order no matter which node wrote the post. Read once per
    // row: a new post's update_at must equal its create_at, or a `since` reader at create_at would see it again.
    internal const string DbNowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

    /// <summary>Whether the mention candidate's user <c>u</c> is online at post time (@here mentions only them).</summary>
    private const string IsOnlineSql = "EXISTS (SELECT 1 FROM statuses s WHERE s.user_id = u.id AND s.status = 'online')";

    private const string CandidateColumns = $"m.channel_id, u.id AS user_id, u.username, u.first_name, u.notify_props::text AS user_notify_props, m.notify_props::text AS member_notify_props, {IsOnlineSql} AS online";

    /// <summary>
    /// Inserts several posts in the given order (which becomes their seq order) in the caller's transaction and, in
    /// the same round trip, reads the channel members they may mention (<paramref name="scope"/>). Returns the posts
    /// in that order. Their channels' counters are left to <see cref="CountInChannelsAndCommitAsync"/>.
    /// A post whose author already used its pending_post_id (an earlier batch, another node, or earlier in this
    /// batch) is not inserted: the original comes back in its place, told apart by its other id. A concurrent insert
    /// of the same key waits for the other transaction and then finds its post.
    /// </summary>
    public async Task<(IReadOnlyList<Post> Posts, IReadOnlyList<MentionCandidate> Candidates)> CreateManyAsync(NpgsqlTransaction transaction, IReadOnlyList<Post> posts, MentionScope scope)
    {
        var ids = posts.Select(p => p.Id).ToArray();
        await using var batch = new NpgsqlBatch(transaction.Connection(), transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"""
                    INSERT INTO posts (id, create_at, update_at, user_id, channel_id, root_id, message, type, props, hashtags, file_ids, pending_post_id, search_vector)
                    SELECT p.id, p.at, p.at, p.user_id, p.channel_id, p.root_id, p.message, p.type, p.props::jsonb, p.hashtags, p.file_ids::jsonb, p.pending_post_id, {PostSearchStore.VectorOf("p.message")}
                    FROM (SELECT u.*, {DbNowMs} AS at
                          FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                               WITH ORDINALITY AS u(id, user_id, channel_id, root_id, message, type, props, hashtags, file_ids, pending_post_id, n)) p
                    ORDER BY p.n
                    ON CONFLICT (user_id, pending_post_id) WHERE pending_post_id <> '' DO NOTHING
                    RETURNING {Columns}
                    """)
                {
                    Parameters =
                    {
                        Text(ids),
                        Text([.. posts.Select(p => p.UserId)]),
                        Text([.. posts.Select(p => p.ChannelId)]),
                        Text([.. posts.Select(p => p.RootId)]),
                        Text([.. posts.Select(p => p.Message)]),
                        Text([.. posts.Select(p => p.Type)]),
                        Text([.. posts.Select(p => System.Text.Json.JsonSerializer.Serialize(p.Props))]),
                        Text([.. posts.Select(p => p.Hashtags)]),
                        Text([.. posts.Select(p => System.Text.Json.JsonSerializer.Serialize(p.FileIds ?? []))]),
                        Text([.. posts.Select(p => p.PendingPostId)]),
                    },
                },
                // Deactivated users are never mentioned. Users with keywords of their own are few (an index of
                // their own); everybody else in a keyword channel is read only when named, by username.
                new NpgsqlBatchCommand($"""
                    SELECT {CandidateColumns}
                    FROM channel_members m JOIN users u ON u.id = m.user_id
                    WHERE m.channel_id = ANY($1) AND u.delete_at = 0
                    UNION ALL
                    SELECT {CandidateColumns}
                    FROM users u JOIN channel_members m ON m.user_id = u.id AND m.channel_id = ANY($2)
                    WHERE u.delete_at = 0 AND (u.username = ANY($3) OR u.has_mention_keywords)
                    """)
                {
                    Parameters = { Text(scope.AllMembers), Text(scope.KeywordChannels), Text(scope.Usernames) },
                },
                // The posts claim their files in the same transaction: a file goes to one post only, and only to
                // its uploader's post in its channel while unclaimed (the service checked; this settles races).
                new NpgsqlBatchCommand($"""
                    UPDATE file_infos f SET post_id = p.id, update_at = p.create_at
                    FROM posts p, jsonb_array_elements_text(p.file_ids) AS a(file_id)
                    WHERE p.id = ANY($1) AND f.id = a.file_id
                      AND f.post_id = '' AND f.delete_at = 0 AND f.creator_id = p.user_id AND f.channel_id = p.channel_id
                    """)
                {
                    Parameters = { Text([.. posts.Where(p => p.FileIds is { Count: > 0 }).Select(p => p.Id)]) },
                },
            },
        };
        var created = new Dictionary<string, Post>(posts.Count);
        var candidates = new List<MentionCandidate>();
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            var parse = reader.GetRowParser<Post>();
            while (await reader.ReadAsync())
            {
                var post = parse(reader);
                created[post.Id] = post;
            }
            await reader.NextResultAsync();
            var parseCandidate = reader.GetRowParser<MentionCandidate>();
            while (await reader.ReadAsync())
            {
                candidates.Add(parseCandidate(reader));
            }
        }
        var repeated = posts.Where(p => !created.ContainsKey(p.Id)).ToList();
        var originals = repeated.Count == 0 ? [] : await OriginalsAsync(transaction, repeated);
        return ([.. posts.Select(p => created.GetValueOrDefault(p.Id) ?? originals[(p.UserId, p.PendingPostId)])], candidates);
    }

    /// <summary>The posts that the authors' pending_post_ids already made (in the caller's transaction, so posts this batch just inserted count).</summary>
    private static async Task<Dictionary<(string UserId, string PendingPostId), Post>> OriginalsAsync(NpgsqlTransaction transaction, IReadOnlyList<Post> repeated)
    {
        var found = await transaction.Connection().QueryAsync<Post>(
            $"""
            SELECT {Columns}, pending_post_id FROM posts
            WHERE (user_id, pending_post_id) IN (SELECT * FROM unnest(@Users, @Keys)) AND pending_post_id <> ''
            """,
            new { Users = repeated.Select(p => p.UserId).ToArray(), Keys = repeated.Select(p => p.PendingPostId).ToArray() },
            transaction);
        return found.ToDictionary(p => (p.UserId, p.PendingPostId));
    }

    /// <summary>The post the author's pending_post_id made, if any: a resend of a create that already took effect.</summary>
    public async Task<Post?> GetByPendingPostIdAsync(string userId, string pendingPostId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Post>(
            $"SELECT {Columns}, pending_post_id FROM posts WHERE user_id = @userId AND pending_post_id = @pendingPostId AND pending_post_id <> ''",
            new { userId, pendingPostId });
    }

    /// <summary>
    /// Applies newly created posts to their channels (last_post_at, last_root_post_at, total_msg_count(_root)) and to
    /// their members' read state (<paramref name="members"/>: authors marked read, mention counts raised), and
    /// commits the caller's transaction, all in one round trip. Every batch of posts touches the same few busy
    /// channels, so their row locks are taken only here, in id order (concurrent batches cannot deadlock), and held
    /// only while the commit runs rather than across the round trips before it. Member rows are locked next, in
    /// (channel, user) order, as the channel view does. Counts are raised relative to the row (x = x + n), so
    /// batches committed by several nodes at once add up exactly.
    /// </summary>
    public static async Task CountInChannelsAndCommitAsync(NpgsqlTransaction transaction, IReadOnlyList<Post> created, IReadOnlyList<MemberReadUpdate> members)
    {
        var channels = created.GroupBy(p => p.ChannelId).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var ids = channels.Select(g => g.Key).ToArray();
        await using var batch = new NpgsqlBatch(transaction.Connection(), transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT 1 FROM channels WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE") { Parameters = { Text(ids) } },
                // greatest(): a batch may commit after a later one; last_post_at never moves backwards.
                new NpgsqlBatchCommand("""
                    UPDATE channels c
                    SET last_post_at = greatest(c.last_post_at, b.last_post_at), total_msg_count = c.total_msg_count + b.n,
                        last_root_post_at = greatest(c.last_root_post_at, b.last_root_post_at), total_msg_count_root = c.total_msg_count_root + b.roots
                    FROM unnest($1, $2, $3, $4, $5) AS b(channel_id, last_post_at, n, last_root_post_at, roots)
                    WHERE c.id = b.channel_id
                    """)
                {
                    Parameters =
                    {
                        Text(ids),
                        Bigint([.. channels.Select(g => g.Max(p => p.CreateAt))]),
                        Bigint([.. channels.Select(g => (long)g.Count())]),
                        Bigint([.. channels.Select(g => g.Where(p => p.RootId.Length == 0).Select(p => p.CreateAt).DefaultIfEmpty(0).Max())]),
                        Bigint([.. channels.Select(g => (long)g.Count(p => p.RootId.Length == 0))]),
                    },
                },
            },
        };
        if (members.Count > 0)
        {
            var ordered = members.OrderBy(m => m.ChannelId, StringComparer.Ordinal).ThenBy(m => m.UserId, StringComparer.Ordinal).ToList();
            var channelIds = Text([.. ordered.Select(m => m.ChannelId)]);
            var userIds = Text([.. ordered.Select(m => m.UserId)]);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(LockMembersSql) { Parameters = { channelIds, userIds } });
            // A viewed member has read the channel up to its last post by them, and any mention before that.
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                UPDATE channel_members m SET
                    msg_count = CASE WHEN u.viewed THEN greatest(m.msg_count, c.total_msg_count - u.posts_after) ELSE m.msg_count END,
                    msg_count_root = CASE WHEN u.viewed THEN greatest(m.msg_count_root, c.total_msg_count_root - u.root_posts_after) ELSE m.msg_count_root END,
                    last_viewed_at = CASE WHEN u.viewed THEN greatest(m.last_viewed_at, u.viewed_at) ELSE m.last_viewed_at END,
                    mention_count = CASE WHEN u.viewed THEN 0 ELSE m.mention_count END + u.mentions,
                    mention_count_root = CASE WHEN u.viewed THEN 0 ELSE m.mention_count_root END + u.root_mentions,
                    urgent_mention_count = CASE WHEN u.viewed THEN 0 ELSE m.urgent_mention_count END,
                    last_update_at = {DbNowMs}
                FROM unnest($1, $2, $3, $4, $5, $6, $7, $8)
                         AS u(channel_id, user_id, viewed, viewed_at, posts_after, root_posts_after, mentions, root_mentions)
                     JOIN channels c ON c.id = u.channel_id
                WHERE m.channel_id = u.channel_id AND m.user_id = u.user_id
                """)
            {
                Parameters =
                {
                    channelIds.Clone(),
                    userIds.Clone(),
                    new NpgsqlParameter { Value = ordered.Select(m => m.Viewed).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Boolean },
                    Bigint([.. ordered.Select(m => m.ViewedAt)]),
                    Bigint([.. ordered.Select(m => m.PostsAfter)]),
                    Bigint([.. ordered.Select(m => m.RootPostsAfter)]),
                    Bigint([.. ordered.Select(m => m.Mentions)]),
                    Bigint([.. ordered.Select(m => m.RootMentions)]),
                },
            });
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Locks the member rows ($1 channel ids, $2 user ids) in (channel, user) order. Everything that changes several
    /// members' read state in one transaction takes its row locks this way first, so no two of them deadlock.
    /// </summary>
    internal const string LockMembersSql = """
        SELECT 1 FROM channel_members m JOIN unnest($1, $2) AS u(channel_id, user_id) ON m.channel_id = u.channel_id AND m.user_id = u.user_id
        ORDER BY m.channel_id, m.user_id
        FOR NO KEY UPDATE OF m
        """;

    private static NpgsqlParameter Bigint(long[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint };

    private static NpgsqlParameter Text(string[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text };

    /// <summary>A post that is not deleted.</summary>
    public async Task<Post?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Post>($"SELECT {Columns} FROM posts WHERE id = @id AND delete_at = 0", new { id });
    }

    /// <summary>
    /// Applies a patch in the caller's transaction (null fields stay). A new message sets edit_at and, as Mattermost
    /// does on every edit, keeps the version it replaces as a deleted row of its own (id <paramref name="historyId"/>,
    /// original_id = the post's id, deleted at the time of the edit): the post's edit history.
    /// </summary>
    public Task<Post?> PatchAsync(NpgsqlTransaction transaction, string id, string? message, bool? isPinned, Dictionary<string, System.Text.Json.JsonElement>? props, string historyId,
        IReadOnlyList<string>? fileIds = null) =>
        transaction.Connection().QuerySingleOrDefaultAsync<Post>($"""
            WITH t AS (SELECT {DbNowMs} AS now),
            old AS (
                SELECT o.*, @message IS NOT NULL AND @message <> o.message AS new_message,
                       (@message IS NOT NULL AND @message <> o.message) OR (@fileIds::jsonb IS NOT NULL AND @fileIds::jsonb <> o.file_ids) AS edited
                FROM posts o WHERE o.id = @id AND o.delete_at = 0
                FOR UPDATE
            ),
            history AS (
                INSERT INTO posts (id, create_at, update_at, edit_at, delete_at, is_pinned, user_id, channel_id, root_id, original_id, message, type, props, hashtags, file_ids, search_vector)
                SELECT @historyId, o.create_at, t.now, o.edit_at, t.now, o.is_pinned, o.user_id, o.channel_id, o.root_id, o.id, o.message, o.type, o.props, o.hashtags, o.file_ids, o.search_vector
                FROM old o, t WHERE o.edited
            )
            UPDATE posts p SET
                message = CASE WHEN o.new_message THEN @message ELSE p.message END,
                search_vector = CASE WHEN o.new_message THEN {PostSearchStore.VectorOf("@message")} ELSE p.search_vector END,
                is_pinned = coalesce(@isPinned, p.is_pinned),
                props = coalesce(@props::jsonb, p.props),
                file_ids = coalesce(@fileIds::jsonb, p.file_ids),
                edit_at = CASE WHEN o.edited THEN t.now ELSE p.edit_at END,
                update_at = t.now
            FROM old o, t
            WHERE p.id = o.id
            RETURNING {PrefixedColumns}
            """, new
        {
            id, message, isPinned, historyId,
            props = props is null ? null : System.Text.Json.JsonSerializer.Serialize(props),
            fileIds = fileIds is null ? null : System.Text.Json.JsonSerializer.Serialize(fileIds),
        }, transaction);

    /// <summary>Soft-deletes, as Mattermost does: the row stays so `since` readers learn of the deletion.</summary>
    public Task<Post?> DeleteAsync(NpgsqlTransaction transaction, string id) =>
        transaction.Connection().QuerySingleOrDefaultAsync<Post>($"""
            UPDATE posts SET delete_at = t.now, update_at = t.now
            FROM (SELECT {DbNowMs} AS now) t
            WHERE id = @id AND delete_at = 0
            RETURNING {Columns}
            """, new { id }, transaction);

    /// <summary>Only thread roots when @rootsOnly (collapsed reply threads), else every post.</summary>
    private const string RootFilter = "(NOT @rootsOnly OR root_id = '')";

    /// <summary>
    /// Page <paramref name="page"/> of the channel's posts, newest first; with <paramref name="includeDeleted"/>
    /// deleted posts too (but not the old versions of edited posts, which are versions rather than posts); with
    /// <paramref name="rootsOnly"/> thread roots only.
    /// </summary>
    public async Task<PostList> GetPageAsync(string channelId, int page, int perPage, bool includeDeleted = false, bool rootsOnly = false)
    {
        await using var connection = await db.OpenConnectionAsync();
        var posts = await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND {Listed} AND {RootFilter}
            ORDER BY seq DESC LIMIT @limit OFFSET @offset
            """, new { channelId, includeDeleted, rootsOnly, limit = perPage + 1, offset = (long)page * perPage });
        return await WithNeighbours(connection, channelId, [.. posts], perPage, newestFirst: true, includeDeleted, rootsOnly);
    }

    /// <summary>The posts a channel's pages list: live ones, and deleted ones too when @includeDeleted.</summary>
    private const string Listed = "(delete_at = 0 OR (@includeDeleted AND original_id = ''))";

    /// <summary>Posts older than <paramref name="postId"/>, newest first.</summary>
    public async Task<PostList?> GetBeforeAsync(string channelId, string postId, int page, int perPage, bool includeDeleted = false, bool rootsOnly = false)
    {
        await using var connection = await db.OpenConnectionAsync();
        var anchor = await SeqOf(connection, channelId, postId);
        if (anchor is null)
        {
            return null;
        }
        var posts = await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND {Listed} AND seq < @anchor AND {RootFilter}
            ORDER BY seq DESC LIMIT @limit OFFSET @offset
            """, new { channelId, anchor, includeDeleted, rootsOnly, limit = perPage + 1, offset = (long)page * perPage });
        return await WithNeighbours(connection, channelId, [.. posts], perPage, newestFirst: true, includeDeleted, rootsOnly);
    }

    /// <summary>Posts newer than <paramref name="postId"/>; the page nearest the anchor comes first.</summary>
    public async Task<PostList?> GetAfterAsync(string channelId, string postId, int page, int perPage, bool includeDeleted = false, bool rootsOnly = false)
    {
        await using var connection = await db.OpenConnectionAsync();
        var anchor = await SeqOf(connection, channelId, postId);
        if (anchor is null)
        {
            return null;
        }
        var posts = await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND {Listed} AND seq > @anchor AND {RootFilter}
            ORDER BY seq ASC LIMIT @limit OFFSET @offset
            """, new { channelId, anchor, includeDeleted, rootsOnly, limit = perPage + 1, offset = (long)page * perPage });
        return await WithNeighbours(connection, channelId, [.. posts], perPage, newestFirst: false, includeDeleted, rootsOnly);
    }

    /// <summary>
    /// The posts around a member's first unread one (Mattermost's posts/unread): the oldest post newer than
    /// <paramref name="lastViewedAt"/> and up to <paramref name="after"/> - 1 newer ones, then up to
    /// <paramref name="before"/> older ones, newest first; null when nothing is unread.
    /// </summary>
    public async Task<PostList?> GetAroundUnreadAsync(string channelId, long lastViewedAt, int after, int before, bool rootsOnly)
    {
        await using var connection = await db.OpenConnectionAsync();
        var anchor = await connection.QuerySingleOrDefaultAsync<long?>($"""
            SELECT seq FROM posts WHERE channel_id = @channelId AND delete_at = 0 AND create_at > @lastViewedAt AND {RootFilter}
            ORDER BY seq LIMIT 1
            """, new { channelId, lastViewedAt, rootsOnly });
        if (anchor is null)
        {
            return null;
        }
        var newer = (await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND delete_at = 0 AND seq >= @anchor AND {RootFilter}
            ORDER BY seq ASC LIMIT @after
            """, new { channelId, anchor, rootsOnly, after })).Reverse();
        var older = await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND delete_at = 0 AND seq < @anchor AND {RootFilter}
            ORDER BY seq DESC LIMIT @before
            """, new { channelId, anchor, rootsOnly, before });
        List<Post> page = [.. newer, .. older];
        return await WithNeighbours(connection, channelId, page, page.Count, newestFirst: true, includeDeleted: false, rootsOnly);
    }

    /// <summary>
    /// Everything created, edited or deleted after <paramref name="since"/>: deletions as tombstones, so clients can
    /// drop them without learning what they said.
    /// </summary>
    public async Task<PostList> GetSinceAsync(string channelId, long since, int limit)
    {
        await using var connection = await db.OpenConnectionAsync();
        var posts = (await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND update_at > @since
            ORDER BY seq DESC LIMIT @limit
            """, new { channelId, since, limit })).Select(p => p.DeleteAt == 0 ? p : p.Tombstone()).ToList();
        return new PostList { Order = [.. posts.Select(p => p.Id)], Posts = posts.ToDictionary(p => p.Id) };
    }

    private static Task<long?> SeqOf(NpgsqlConnection connection, string channelId, string postId) =>
        connection.QuerySingleOrDefaultAsync<long?>("SELECT seq FROM posts WHERE id = @postId AND channel_id = @channelId", new { postId, channelId });

    /// <summary>
    /// Shapes a page fetched with one extra row into a PostList: the extra row tells whether there is more,
    /// and next/prev name the posts just newer and just older than the page.
    /// </summary>
    private static async Task<PostList> WithNeighbours(NpgsqlConnection connection, string channelId, List<Post> rows, int perPage, bool newestFirst, bool includeDeleted, bool rootsOnly)
    {
        var hasMore = rows.Count > perPage;
        var page = rows.Take(perPage).ToList();
        if (!newestFirst)
        {
            page.Reverse();
        }
        string next = "", prev = "";
        if (page.Count > 0)
        {
            var neighbours = await connection.QuerySingleAsync<(string? Next, string? Prev)>($"""
                SELECT (SELECT id FROM posts WHERE channel_id = @channelId AND {Listed} AND {RootFilter} AND seq > (SELECT seq FROM posts WHERE id = @newest) ORDER BY seq ASC LIMIT 1),
                       (SELECT id FROM posts WHERE channel_id = @channelId AND {Listed} AND {RootFilter} AND seq < (SELECT seq FROM posts WHERE id = @oldest) ORDER BY seq DESC LIMIT 1)
                """, new { channelId, includeDeleted, rootsOnly, newest = page[0].Id, oldest = page[^1].Id });
            next = neighbours.Next ?? "";
            prev = neighbours.Prev ?? "";
        }
        return new PostList
        {
            Order = [.. page.Select(p => p.Id)],
            Posts = page.ToDictionary(p => p.Id),
            NextPostId = next,
            PrevPostId = prev,
            HasNext = hasMore,
        };
    }
}
