using Npgsql;

namespace Chat.BuildingBlocks.Locks.Embedded;

/// <summary>
/// Locks in the table distributed_locks, one statement per operation, expiry by the database clock. A held lock is
/// a row whose expires_at is in the future; an expired row is taken over as if absent (and pruned eventually).
/// </summary>
public sealed class EmbeddedDistributedLock(NpgsqlDataSource dataSource) : IDistributedLock
{
    public async Task<bool> TryLockAsync(string resourceId, string owner, TimeSpan expiry, CancellationToken cancellationToken = default)
    {
        LockArguments.Validate(resourceId, owner);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO distributed_locks AS l (resource_id, owner, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
            ON CONFLICT (resource_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE l.expires_at <= now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = resourceId });
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = (double)LockArguments.Seconds(expiry) });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<UnlockStatus> UnlockAsync(string resourceId, string owner, CancellationToken cancellationToken = default)
    {
        LockArguments.Validate(resourceId, owner);
        // The outer SELECT sees the table as it was before the DELETE, so a lock just released still counts as
        // existing there: the CASE tests the delete first.
        await using var command = dataSource.CreateCommand("""
            WITH released AS (
                DELETE FROM distributed_locks WHERE resource_id = $1 AND owner = $2 AND expires_at > now() RETURNING 1)
            SELECT CASE
                WHEN EXISTS (SELECT 1 FROM released) THEN 0
                WHEN EXISTS (SELECT 1 FROM distributed_locks WHERE resource_id = $1 AND expires_at > now()) THEN 2
                ELSE 1 END
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = resourceId });
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        return (UnlockStatus)(int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
