using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>
/// Full-text search over posts with PostgreSQL's text search: posts.search_vector (GIN-indexed, migration 0004),
/// written with each post and edit, and filled for unindexed posts by the search_indexing job.
/// </summary>
public sealed class PostSearchStore(NpgsqlDataSource db, DatabaseRouter router)
{
    /// <summary>
    /// The text search configuration of every vector and query. English stemming, as Mattermost's database search
    /// uses: "posting" finds "posted". Changing it means clearing the vectors and re-running the indexing job.
    /// </summary>
    public const string TextSearchConfig = "english";

    /// <summary>The vector of a message, as SQL over the named column or parameter.</summary>
    internal static string VectorOf(string message) => $"to_tsvector('{TextSearchConfig}', {message})";

    private const string Columns = "p.id, p.create_at, p.update_at, p.edit_at, p.delete_at, p.is_pinned, p.user_id, p.channel_id, p.root_id, p.original_id, p.message, p.type, p.props::text AS props, p.hashtags, p.has_reactions, NULLIF(p.file_ids, '[]'::jsonb)::text AS file_ids";

    /// <summary>
    /// Posts of the team's channels the user belongs to (and of the user's direct channels) that match, newest first.
    /// System messages (joins, leaves, archiving) are not searched, as in Mattermost.
    /// On the search replicas (else the replicas, else the primary): a search is never how a client reads back its
    /// own write, so replication lag does no harm here.
    /// </summary>
    public Task<PostList> SearchAsync(string teamId, string userId, PostSearch search, int page, int perPage) =>
        router.ReadAsync(ReadTarget.Search, connection => SearchAsync(connection, teamId, userId, search, page, perPage));

    /// <summary>
    /// A search's own limit, well under SqlSettings.QueryTimeout: one costly search must not hold a connection of
    /// the (search) replica's pool for long, and what it costs depends on what a user typed.
    /// </summary>
    public static readonly TimeSpan StatementTimeout = TimeSpan.FromSeconds(5);

    private const string QueryCanceled = "57014";

    private static async Task<PostList> SearchAsync(NpgsqlConnection connection, string teamId, string userId, PostSearch search, int page, int perPage)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync($"SET LOCAL statement_timeout = {(int)StatementTimeout.TotalMilliseconds}", transaction: transaction);
        try
        {
            var list = await SearchInAsync(connection, transaction, teamId, userId, search, page, perPage);
            await transaction.CommitAsync();
            return list;
        }
        catch (PostgresException e) when (e.SqlState == QueryCanceled)
        {
            throw AppErrorException.BadRequest("api.post.search_posts.timeout.app_error", "The search took too long; use more specific words.");
        }
    }

    private static async Task<PostList> SearchInAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string teamId, string userId, PostSearch search, int page, int perPage)
    {
        var posts = (await connection.QueryAsync<Post>($"""
            WITH q AS (
                SELECT CASE WHEN @text = '' THEN NULL ELSE websearch_to_tsquery('{TextSearchConfig}', @text) END AS words,
                       CASE WHEN @prefixes = '' THEN NULL ELSE to_tsquery('{TextSearchConfig}', @prefixes) END AS prefixes
            )
            SELECT {Columns}
            FROM q, posts p
            JOIN channel_members m ON m.channel_id = p.channel_id AND m.user_id = @userId
            JOIN channels c ON c.id = p.channel_id
            WHERE (c.team_id = @teamId OR c.team_id = '')
              AND p.delete_at = 0
              AND p.type NOT LIKE 'system\_%'
              AND CASE
                    WHEN q.words IS NULL AND q.prefixes IS NULL THEN true
                    WHEN q.words IS NOT NULL AND q.prefixes IS NOT NULL AND @allPrefixes THEN p.search_vector @@ (q.words && q.prefixes)
                    WHEN q.words IS NOT NULL AND q.prefixes IS NOT NULL THEN p.search_vector @@ (q.words || q.prefixes)
                    ELSE p.search_vector @@ coalesce(q.words, q.prefixes)
                  END
              AND (cardinality(@fromUsers) = 0 OR p.user_id IN (SELECT id FROM users WHERE username = ANY(@fromUsers)))
              AND (cardinality(@inChannels) = 0 OR c.name = ANY(@inChannels))
              AND (@createdFrom::bigint IS NULL OR p.create_at >= @createdFrom)
              AND (@createdBefore::bigint IS NULL OR p.create_at < @createdBefore)
            ORDER BY p.create_at DESC, p.id DESC
            LIMIT @perPage OFFSET @offset
            """, new
        {
            text = search.Text,
            prefixes = PrefixQuery(search.Prefixes, search.AllPrefixes),
            allPrefixes = search.AllPrefixes,
            teamId,
            userId,
            fromUsers = search.FromUsers.ToArray(),
            inChannels = search.InChannels.ToArray(),
            createdFrom = search.CreatedFrom,
            createdBefore = search.CreatedBefore,
            perPage,
            offset = (long)page * perPage,
        }, transaction)).ToList();
        return new PostList { Order = [.. posts.Select(p => p.Id)], Posts = posts.ToDictionary(p => p.Id) };
    }

    /// <summary>
    /// The prefix words as to_tsquery text ('word':* joined by &amp; or |). Built here rather than aggregated in SQL:
    /// a query over parameters alone is folded to a constant when the statement is planned, and only a constant
    /// tsquery lets the planner use the GIN index.
    /// </summary>
    private static string PrefixQuery(IReadOnlyList<string> prefixes, bool all) =>
        string.Join(all ? " & " : " | ", prefixes.Select(p => $"'{p.Replace("'", "''", StringComparison.Ordinal).Replace(@"\", @"\\", StringComparison.Ordinal)}':*"));

    /// <summary>
    /// Indexes up to <paramref name="limit"/> posts that have no vector yet, lowest ids first; returns how many.
    /// The search_indexing job calls it until it returns 0.
    /// </summary>
    public async Task<int> IndexBatchAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE posts SET search_vector = {VectorOf("message")}
            WHERE id IN (SELECT id FROM posts WHERE search_vector IS NULL ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED)
            """, new { limit }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Recomputes the vectors of up to <paramref name="limit"/> posts with ids after <paramref name="afterId"/>, in id
    /// order (a rebuild, e.g. after the text search configuration changed); returns how many and the last id.
    /// </summary>
    public async Task<(int Count, string LastId)> ReindexBatchAsync(string afterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // max(id) by the database's collation, the order the cursor walks in.
        var (count, lastId) = await connection.QuerySingleAsync<(long, string?)>(new CommandDefinition($"""
            WITH done AS (
                UPDATE posts SET search_vector = {VectorOf("message")}
                WHERE id IN (SELECT id FROM posts WHERE id > @afterId ORDER BY id LIMIT @limit)
                RETURNING id)
            SELECT count(*), max(id) FROM done
            """, new { afterId, limit }, cancellationToken: cancellationToken));
        return ((int)count, lastId ?? afterId);
    }

    /// <summary>All posts (a rebuild's work).</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM posts", cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Refreshes the planner's statistics of posts (ANALYZE), as autovacuum would a while later: once many vectors
    /// changed, the lexeme frequencies kept there decide whether a search starts from the GIN index.
    /// </summary>
    public async Task AnalyzeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("ANALYZE posts", cancellationToken: cancellationToken));
    }

    /// <summary>Posts without a vector (the indexing job's remaining work).</summary>
    public async Task<long> CountUnindexedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM posts WHERE search_vector IS NULL", cancellationToken: cancellationToken));
    }
}
