using Microsoft.Extensions.Logging;
using Chat.BuildingBlocks.Embedded;
using Chat.SchemaMigrations;
using Npgsql;

namespace Chat.BuildingBlocks.PubSub.Embedded;

/// <summary>
/// Deletes events older than the retention window. Every node runs it, one at a time, in short batches
/// (<see cref="ExclusiveBatchedDelete"/>): a long transaction would hold every reader back (see <see cref="EventLogReader"/>).
/// </summary>
internal sealed partial class EventLogPruner(NpgsqlDataSource dataSource, EmbeddedPubSubOptions options, ILogger logger)
{
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

    public Task<long> PruneAsync(CancellationToken cancellationToken) =>
        ExclusiveBatchedDelete.RunAsync(dataSource, AdvisoryLockKeys.EventLogPruning, BatchRows,
            [("DELETE FROM cluster_events WHERE ctid = ANY (ARRAY(SELECT ctid FROM cluster_events WHERE created_at < now() - $1 LIMIT $2))", [options.Retention])],
            cancellationToken);

    [LoggerMessage(LogLevel.Information, "Pruned {Count} cluster events past the retention window")]
    private partial void LogPruned(long count);

    [LoggerMessage(LogLevel.Warning, "Pruning cluster events failed ({Reason}); will retry")]
    private partial void LogFailed(string reason);
}
