using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

public sealed class PostStore(NpgsqlDataSource db)
{
    private const string Columns = "id, create_at, update_at, edit_at, delete_at, is_pinned, user_id, channel_id, root_id, original_id, message, type, props::text AS props, hashtags";
    // Database time, so that create_at agrees with the seq order no matter which node wrote the post. Read once per
    // row: a new post's update_at must equal its create_at, or a `since` reader at create_at would see it again.
    private const string DbNowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

    /// <summary>
    /// Inserts several posts in the given order (which becomes their seq order) in the caller's transaction, in one
    /// round trip, and returns them in that order. Their channels' counters are left to
    /// <see cref="CountInChannelsAndCommitAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<Post>> CreateManyAsync(NpgsqlTransaction transaction, IReadOnlyList<Post> posts)
    {
        var ids = posts.Select(p => p.Id).ToArray();
        await using var command = new NpgsqlCommand($"""
            INSERT INTO posts (id, create_at, update_at, user_id, channel_id, root_id, message, type, props, hashtags, search_vector)
            SELECT p.id, p.at, p.at, p.user_id, p.channel_id, p.root_id, p.message, p.type, p.props::jsonb, p.hashtags, {PostSearchStore.VectorOf("p.message")}
            FROM (SELECT u.*, {DbNowMs} AS at
                  FROM unnest($1, $2, $3, $4, $5, $6, $7, $8)
                       WITH ORDINALITY AS u(id, user_id, channel_id, root_id, message, type, props, hashtags, n)) p
            ORDER BY p.n
            RETURNING {Columns}
            """, transaction.Connection(), transaction)
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
            },
        };
        var created = new Dictionary<string, Post>(posts.Count);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var parse = reader.GetRowParser<Post>();
            while (await reader.ReadAsync())
            {
                var post = parse(reader);
                created[post.Id] = post;
            }
        }
        return [.. posts.Select(p => created[p.Id])];
    }

    /// <summary>
    /// Bumps the channels of newly created posts (last_post_at, total_msg_count) and commits the caller's transaction,
    /// both in one round trip. Every batch of posts touches the same few busy channels, so their row locks are taken
    /// only here, in id order (concurrent batches cannot deadlock), and held only while the commit runs rather than
    /// across the round trips before it.
    /// </summary>
    public static async Task CountInChannelsAndCommitAsync(NpgsqlTransaction transaction, IReadOnlyList<Post> created)
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
                    SET last_post_at = greatest(c.last_post_at, b.last_post_at), total_msg_count = c.total_msg_count + b.n
                    FROM unnest($1, $2, $3) AS b(channel_id, last_post_at, n)
                    WHERE c.id = b.channel_id
                    """)
                {
                    Parameters =
                    {
                        Text(ids),
                        new NpgsqlParameter { Value = channels.Select(g => g.Max(p => p.CreateAt)).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint },
                        new NpgsqlParameter { Value = channels.Select(g => (long)g.Count()).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint },
                    },
                },
                new NpgsqlBatchCommand("COMMIT"),
            },
        };
        await batch.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter Text(string[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text };

    /// <summary>A post that is not deleted.</summary>
    public async Task<Post?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Post>($"SELECT {Columns} FROM posts WHERE id = @id AND delete_at = 0", new { id });
    }

    public Task<Post?> PatchAsync(NpgsqlTransaction transaction, string id, string? message, bool? isPinned, Dictionary<string, System.Text.Json.JsonElement>? props) =>
        transaction.Connection().QuerySingleOrDefaultAsync<Post>($"""
            UPDATE posts SET
                message = coalesce(@message, message),
                search_vector = CASE WHEN @message IS NULL OR @message = message THEN search_vector ELSE {PostSearchStore.VectorOf("@message")} END,
                is_pinned = coalesce(@isPinned, is_pinned),
                props = coalesce(@props::jsonb, props),
                edit_at = CASE WHEN @message IS NULL OR @message = message THEN edit_at ELSE t.now END,
                update_at = t.now
            FROM (SELECT {DbNowMs} AS now) t
            WHERE id = @id AND delete_at = 0
            RETURNING {Columns}
            """, new { id, message, isPinned, props = props is null ? null : System.Text.Json.JsonSerializer.Serialize(props) }, transaction);

    /// <summary>Soft-deletes, as Mattermost does: the row stays so `since` readers learn of the deletion.</summary>
    public Task<Post?> DeleteAsync(NpgsqlTransaction transaction, string id) =>
        transaction.Connection().QuerySingleOrDefaultAsync<Post>($"""
            UPDATE posts SET delete_at = t.now, update_at = t.now
            FROM (SELECT {DbNowMs} AS now) t
            WHERE id = @id AND delete_at = 0
            RETURNING {Columns}
            """, new { id }, transaction);

    /// <summary>Page <paramref name="page"/> of the channel's posts, newest first.</summary>
    public async Task<PostList> GetPageAsync(string channelId, int page, int perPage)
    {
        await using var connection = await db.OpenConnectionAsync();
        var posts = await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND delete_at = 0
            ORDER BY seq DESC LIMIT @limit OFFSET @offset
            """, new { channelId, limit = perPage + 1, offset = (long)page * perPage });
        return await WithNeighbours(connection, channelId, [.. posts], perPage, newestFirst: true);
    }

    /// <summary>Posts older than <paramref name="postId"/>, newest first.</summary>
    public async Task<PostList?> GetBeforeAsync(string channelId, string postId, int page, int perPage)
    {
        await using var connection = await db.OpenConnectionAsync();
        var anchor = await SeqOf(connection, channelId, postId);
        if (anchor is null)
        {
            return null;
        }
        var posts = await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND delete_at = 0 AND seq < @anchor
            ORDER BY seq DESC LIMIT @limit OFFSET @offset
            """, new { channelId, anchor, limit = perPage + 1, offset = (long)page * perPage });
        return await WithNeighbours(connection, channelId, [.. posts], perPage, newestFirst: true);
    }

    /// <summary>Posts newer than <paramref name="postId"/>; the page nearest the anchor comes first.</summary>
    public async Task<PostList?> GetAfterAsync(string channelId, string postId, int page, int perPage)
    {
        await using var connection = await db.OpenConnectionAsync();
        var anchor = await SeqOf(connection, channelId, postId);
        if (anchor is null)
        {
            return null;
        }
        var posts = await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND delete_at = 0 AND seq > @anchor
            ORDER BY seq ASC LIMIT @limit OFFSET @offset
            """, new { channelId, anchor, limit = perPage + 1, offset = (long)page * perPage });
        return await WithNeighbours(connection, channelId, [.. posts], perPage, newestFirst: false);
    }

    /// <summary>Everything created, edited or deleted after <paramref name="since"/>, deletions included so clients can drop them.</summary>
    public async Task<PostList> GetSinceAsync(string channelId, long since, int limit)
    {
        await using var connection = await db.OpenConnectionAsync();
        var posts = (await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts WHERE channel_id = @channelId AND update_at > @since
            ORDER BY seq DESC LIMIT @limit
            """, new { channelId, since, limit })).ToList();
        return new PostList { Order = [.. posts.Select(p => p.Id)], Posts = posts.ToDictionary(p => p.Id) };
    }

    private static Task<long?> SeqOf(NpgsqlConnection connection, string channelId, string postId) =>
        connection.QuerySingleOrDefaultAsync<long?>("SELECT seq FROM posts WHERE id = @postId AND channel_id = @channelId", new { postId, channelId });

    /// <summary>
    /// Shapes a page fetched with one extra row into a PostList: the extra row tells whether there is more,
    /// and next/prev name the posts just newer and just older than the page.
    /// </summary>
    private static async Task<PostList> WithNeighbours(NpgsqlConnection connection, string channelId, List<Post> rows, int perPage, bool newestFirst)
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
            var neighbours = await connection.QuerySingleAsync<(string? Next, string? Prev)>("""
                SELECT (SELECT id FROM posts WHERE channel_id = @channelId AND delete_at = 0 AND seq > (SELECT seq FROM posts WHERE id = @newest) ORDER BY seq ASC LIMIT 1),
                       (SELECT id FROM posts WHERE channel_id = @channelId AND delete_at = 0 AND seq < (SELECT seq FROM posts WHERE id = @oldest) ORDER BY seq DESC LIMIT 1)
                """, new { channelId, newest = page[0].Id, oldest = page[^1].Id });
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
