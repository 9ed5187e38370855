using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks.PubSub.Embedded;

/// <summary>
/// Deletes events older than the retention window. Every node runs it; an advisory lock lets one prune at a time.
/// Deletes go in small batches, each its own short transaction: a long one would hold every reader back
/// (see <see cref="EventLogReader"/>).
/// </summary>
internal sealed partial class EventLogPruner(NpgsqlDataSource dataSource, EmbeddedPubSubOptions options, ILogger logger)
{
    private const long LockKey = 0x43_68_61_74_50_72_75;
    private const int BatchRows = 5_000;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.PruneInterval);
        do
        {
            try
            {
                var deleted = await PruneAsync(cancellationToken);
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
        while (await timer.WaitForNextTickAsync(cancellationToken));
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
            int deleted;
            do
            {
                await using var delete = new NpgsqlCommand("""
                    DELETE FROM cluster_events WHERE ctid = ANY (ARRAY(
                        SELECT ctid FROM cluster_events WHERE created_at < now() - $1 LIMIT $2))
                    """, connection);
                delete.Parameters.Add(new NpgsqlParameter { Value = options.Retention });
                delete.Parameters.Add(new NpgsqlParameter { Value = BatchRows });
                deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
                total += deleted;
            }
            while (deleted == BatchRows);
            return total;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = LockKey });
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [LoggerMessage(LogLevel.Information, "Pruned {Count} cluster events past the retention window")]
    private partial void LogPruned(long count);

    [LoggerMessage(LogLevel.Warning, "Pruning cluster events failed ({Reason}); will retry")]
    private partial void LogFailed(string reason);
}
