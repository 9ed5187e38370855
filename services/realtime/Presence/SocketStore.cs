using Chat.Store.Postgres;
using Dapper;
using Npgsql;

namespace Chat.Realtime.Presence;

/// <summary>One open client socket: new per socket, even when the client resumes a connection under the same id.</summary>
internal sealed record OpenSocket(string SocketId, string ConnectionId, string UserId);

/// <summary>
/// The status_sockets table (the store's Migrations/0008_statuses.sql): the open sockets of every realtime node,
/// whose liveness is its heartbeat in cluster_discovery, judged by the database's clock.
/// </summary>
internal sealed class SocketStore(NpgsqlDataSource db)
{
    public static Task InsertAsync(NpgsqlTransaction transaction, string nodeId, IReadOnlyCollection<OpenSocket> sockets) =>
        transaction.Connection().ExecuteAsync("""
            INSERT INTO status_sockets (socket_id, connection_id, node_id, user_id)
            SELECT s, c, @nodeId, u FROM unnest(@socketIds, @connectionIds, @userIds) AS x (s, c, u)
            WHERE EXISTS (SELECT 1 FROM users WHERE id = u)
            ON CONFLICT (socket_id) DO NOTHING
            """,
            new
            {
                nodeId,
                socketIds = sockets.Select(s => s.SocketId).ToArray(),
                connectionIds = sockets.Select(s => s.ConnectionId).ToArray(),
                userIds = sockets.Select(s => s.UserId).ToArray(),
            },
            transaction);

    public static Task DeleteAsync(NpgsqlTransaction transaction, IReadOnlyCollection<string> socketIds) =>
        transaction.Connection().ExecuteAsync("DELETE FROM status_sockets WHERE socket_id = ANY(@ids)", new { ids = socketIds.ToArray() }, transaction);

    /// <summary>Those of the users who have a socket open on any node.</summary>
    public static async Task<HashSet<string>> ConnectedAsync(NpgsqlTransaction transaction, IReadOnlyCollection<string> userIds) =>
        userIds.Count == 0 ? [] : new HashSet<string>(
            await transaction.Connection().QueryAsync<string>(
                "SELECT DISTINCT user_id FROM status_sockets WHERE user_id = ANY(@ids)", new { ids = userIds.ToArray() }, transaction),
            StringComparer.Ordinal);

    /// <summary>
    /// The nodes other than <paramref name="self"/> that hold sockets but have not heartbeated within
    /// <paramref name="downAfterMs"/> (or left cluster_discovery). The distinct node ids are walked through the index
    /// one by one, so the cost grows with the number of nodes, not of sockets. A node never judges itself: a slow
    /// heartbeat of its own must not take its users offline while it serves them.
    /// </summary>
    public static async Task<string[]> DeadNodesAsync(NpgsqlTransaction transaction, string self, int downAfterMs) =>
        [.. await transaction.Connection().QueryAsync<string>("""
            WITH RECURSIVE nodes (node_id) AS (
                (SELECT node_id FROM status_sockets ORDER BY node_id LIMIT 1)
                UNION ALL
                SELECT (SELECT s.node_id FROM status_sockets s WHERE s.node_id > n.node_id ORDER BY s.node_id LIMIT 1)
                FROM nodes n WHERE n.node_id IS NOT NULL
            )
            SELECT n.node_id FROM nodes n
            WHERE n.node_id IS NOT NULL AND n.node_id <> @self
              AND NOT EXISTS (
                  SELECT 1 FROM cluster_discovery d
                  WHERE d.id = n.node_id AND d.last_ping_at > clock_timestamp() - make_interval(secs => @downAfterSeconds))
            """, new { self, downAfterSeconds = downAfterMs / 1000.0 }, transaction)];

    /// <summary>Up to <paramref name="limit"/> users with sockets on the nodes.</summary>
    public static async Task<string[]> UsersOnNodesAsync(NpgsqlTransaction transaction, string[] nodeIds, int limit) =>
        [.. await transaction.Connection().QueryAsync<string>(
            "SELECT DISTINCT user_id FROM status_sockets WHERE node_id = ANY(@nodeIds) LIMIT @limit", new { nodeIds, limit }, transaction)];

    /// <summary>Deletes the users' sockets on the nodes; returns the users that had some.</summary>
    public static async Task<HashSet<string>> DeleteOnNodesAsync(NpgsqlTransaction transaction, string[] nodeIds, IReadOnlyCollection<string> userIds) =>
        new(await transaction.Connection().QueryAsync<string>(
                "DELETE FROM status_sockets WHERE node_id = ANY(@nodeIds) AND user_id = ANY(@userIds) RETURNING user_id",
                new { nodeIds, userIds = userIds.ToArray() }, transaction),
            StringComparer.Ordinal);

    public async Task<long> CountAsync(string nodeId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM status_sockets WHERE node_id = @nodeId", new { nodeId });
    }

    public async Task<IReadOnlyList<OpenSocket>> OfNodeAsync(string nodeId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<OpenSocket>(
            "SELECT socket_id AS socketid, connection_id AS connectionid, user_id AS userid FROM status_sockets WHERE node_id = @nodeId", new { nodeId })];
    }
}
