using Chat.SchemaMigrations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks.Embedded;

/// <summary>
/// Deletes expired state entries, key-index rows and locks. Expired rows are already invisible to every operation;
/// this only reclaims their space. Every node runs it, one at a time (<see cref="ExclusiveBatchedDelete"/>).
/// </summary>
internal sealed partial class ExpiredRowPruner(NpgsqlDataSource dataSource, BuildingBlocksOptions options, ILogger<ExpiredRowPruner> logger) : BackgroundService
{
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

    public Task<long> PruneAsync(CancellationToken cancellationToken) =>
        ExclusiveBatchedDelete.RunAsync(dataSource, AdvisoryLockKeys.ExpiredRowPruning, BatchRows, [.. Deletes.Select(sql => (sql, Array.Empty<object>()))], cancellationToken);

    [LoggerMessage(LogLevel.Debug, "Pruned {Count} expired state entries and locks")]
    private partial void LogPruned(long count);

    [LoggerMessage(LogLevel.Warning, "Pruning expired state entries and locks failed ({Reason}); will retry")]
    private partial void LogFailed(string reason);
}
