using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks.Embedded;

/// <summary>
/// Deletes expired state entries, key-index rows and locks. Expired rows are already invisible to every operation;
/// this only reclaims their space. Every node runs it; an advisory lock lets one prune at a time. Batches of
/// <see cref="BatchRows"/>, each its own short transaction (a long one would hold back the event-log readers).
/// </summary>
internal sealed partial class ExpiredRowPruner(NpgsqlDataSource dataSource, BuildingBlocksMigrator migrator, BuildingBlocksOptions options, ILogger<ExpiredRowPruner> logger) : BackgroundService
{
    private const long LockKey = 0x43_68_61_74_45_78_70;
    private const int BatchRows = 5_000;

    private static readonly string[] Deletes =
    [
        // The outer expiry test is re-checked on a row written meanwhile (a key saved again, a lock taken again).
        "DELETE FROM state_entries WHERE key = ANY (ARRAY(SELECT key FROM state_entries WHERE expires_at <= now() LIMIT $1)) AND expires_at <= now()",
        "DELETE FROM state_key_index WHERE ctid = ANY (ARRAY(SELECT ctid FROM state_key_index WHERE expires_at <= now() LIMIT $1)) AND expires_at <= now()",
        "DELETE FROM distributed_locks WHERE resource_id = ANY (ARRAY(SELECT resource_id FROM distributed_locks WHERE expires_at <= now() LIMIT $1)) AND expires_at <= now()",
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await migrator.MigrateAsync(stoppingToken);
            using var timer = new PeriodicTimer(options.Embedded.PruneInterval);
            do
            {
                try
                {
                    var deleted = await PruneAsync(stoppingToken);
                    if (deleted > 0)
                    {
                        LogPruned(deleted);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    LogFailed(e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
        {
            tryLock.Parameters.Add(new NpgsqlParameter { Value = LockKey });
            if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
            {
                return 0;
            }
        }
        try
        {
            long total = 0;
            foreach (var sql in Deletes)
            {
                int deleted;
                do
                {
                    await using var delete = new NpgsqlCommand(sql, connection);
                    delete.Parameters.Add(new NpgsqlParameter { Value = BatchRows });
                    deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
                    total += deleted;
                }
                while (deleted == BatchRows);
            }
            return total;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = LockKey });
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Pruned {Count} expired state entries and locks")]
    private partial void LogPruned(long count);

    [LoggerMessage(LogLevel.Warning, "Pruning expired state entries and locks failed ({Reason}); will retry")]
    private partial void LogFailed(string reason);
}
