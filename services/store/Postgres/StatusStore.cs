using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>
/// The statuses table (Migrations/0008_statuses.sql). Every change locks the users' rows first, in id order, and
/// reads the database's clock after the lock: changes to one user's status (an api node, the realtime node holding
/// a socket, another node's sweep) apply one after the other, each to what the previous one left.
/// </summary>
public sealed class StatusStore(NpgsqlDataSource db)
{
    private const string Columns = "user_id, status, manual, last_activity_at, dnd_end_time, prev_status";

    /// <summary>One status per distinct id, in the order asked; users without a row are <see cref="UserStatus.Unknown"/>.</summary>
    public async Task<IReadOnlyList<UserStatus>> GetManyAsync(IReadOnlyList<string> userIds)
    {
        var ids = userIds.Distinct(StringComparer.Ordinal).ToArray();
        await using var connection = await db.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<UserStatus>($"SELECT {Columns} FROM statuses WHERE user_id = ANY(@ids)", new { ids }))
            .ToDictionary(s => s.UserId, StringComparer.Ordinal);
        return [.. ids.Select(id => stored.GetValueOrDefault(id) ?? UserStatus.Unknown(id))];
    }

    /// <summary>
    /// Locks the users' rows for the transaction, in id order (so two transactions locking overlapping users cannot
    /// deadlock), creating missing ones as <see cref="UserStatus.Unknown"/>. Ids of no user are left out rather than
    /// failing the transaction, which carries other users' changes too.
    /// </summary>
    public async Task<Dictionary<string, UserStatus>> LockAsync(NpgsqlTransaction transaction, IEnumerable<string> userIds)
    {
        var ids = userIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        await transaction.Connection().ExecuteAsync("""
            INSERT INTO statuses (user_id, status)
            SELECT u, 'offline' FROM unnest(@ids) WITH ORDINALITY AS i (u, n)
            WHERE EXISTS (SELECT 1 FROM users WHERE id = u)
            ORDER BY n
            ON CONFLICT (user_id) DO NOTHING
            """, new { ids }, transaction);
        return await SelectForUpdateAsync(transaction, ids, "");
    }

    /// <summary>
    /// Locks those of the users' rows that nobody else holds, in id order: for the sweep, which leaves a user whose
    /// status is being changed right now to its next round.
    /// </summary>
    public Task<Dictionary<string, UserStatus>> LockAvailableAsync(NpgsqlTransaction transaction, IEnumerable<string> userIds) =>
        SelectForUpdateAsync(transaction, [.. userIds.Distinct(StringComparer.Ordinal)], "SKIP LOCKED");

    /// <summary>The database's clock in ms, the one clock every status time is read from.</summary>
    public static Task<long> NowAsync(NpgsqlTransaction transaction) =>
        transaction.Connection().ExecuteScalarAsync<long>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint", transaction: transaction);

    /// <summary>Writes statuses whose rows the transaction holds (<see cref="LockAsync"/>).</summary>
    public async Task SaveAsync(NpgsqlTransaction transaction, IReadOnlyCollection<UserStatus> statuses)
    {
        if (statuses.Count == 0)
        {
            return;
        }
        await transaction.Connection().ExecuteAsync("""
            UPDATE statuses s SET status = u.status, manual = u.manual, last_activity_at = u.last_activity_at,
                dnd_end_time = u.dnd_end_time, prev_status = u.prev_status
            FROM unnest(@UserIds, @Statuses, @Manuals, @LastActivityAts, @DndEndTimes, @PrevStatuses)
                AS u (user_id, status, manual, last_activity_at, dnd_end_time, prev_status)
            WHERE s.user_id = u.user_id
            """,
            new
            {
                UserIds = statuses.Select(s => s.UserId).ToArray(),
                Statuses = statuses.Select(s => s.Status).ToArray(),
                Manuals = statuses.Select(s => s.Manual).ToArray(),
                LastActivityAts = statuses.Select(s => s.LastActivityAt).ToArray(),
                DndEndTimes = statuses.Select(s => s.DndEndTime).ToArray(),
                PrevStatuses = statuses.Select(s => s.PrevStatus).ToArray(),
            },
            transaction);
    }

    /// <summary>Up to <paramref name="limit"/> users online (not by choice) without activity for the away timeout.</summary>
    public async Task<IReadOnlyList<string>> IdleAsync(NpgsqlTransaction transaction, long awayTimeoutMs, int limit) =>
        [.. await transaction.Connection().QueryAsync<string>("""
            SELECT user_id FROM statuses
            WHERE status = 'online' AND NOT manual
              AND last_activity_at <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint - @awayTimeoutMs
            LIMIT @limit
            """, new { awayTimeoutMs, limit }, transaction)];

    /// <summary>Up to <paramref name="limit"/> users whose timed DND has ended.</summary>
    public async Task<IReadOnlyList<string>> DndEndedAsync(NpgsqlTransaction transaction, int limit) =>
        [.. await transaction.Connection().QueryAsync<string>("""
            SELECT user_id FROM statuses
            WHERE dnd_end_time > 0 AND dnd_end_time <= extract(epoch FROM clock_timestamp())::bigint AND status = 'dnd'
            LIMIT @limit
            """, new { limit }, transaction)];

    private static async Task<Dictionary<string, UserStatus>> SelectForUpdateAsync(NpgsqlTransaction transaction, string[] ids, string skip) =>
        (await transaction.Connection().QueryAsync<UserStatus>(
            $"SELECT {Columns} FROM statuses WHERE user_id = ANY(@ids) ORDER BY user_id COLLATE \"C\" FOR UPDATE {skip}", new { ids }, transaction))
        .ToDictionary(s => s.UserId, StringComparer.Ordinal);
}
