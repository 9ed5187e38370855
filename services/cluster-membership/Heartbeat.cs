using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.ClusterMembership;

/// <summary>
/// Keeps this node's row alive every ClusterSettings.HeartbeatIntervalMilliseconds, sweeps out long-dead nodes now
/// and then, and deletes the row on a graceful stop.
/// </summary>
internal sealed partial class Heartbeat(ClusterDiscovery discovery, ILogger<Heartbeat> logger) : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(discovery.HeartbeatInterval);
        var nextSweep = DateTime.UtcNow;
        var failing = false;
        do
        {
            try
            {
                await discovery.HeartbeatAsync(stoppingToken);
                if (failing)
                {
                    LogRecovered(logger);
                    failing = false;
                }
                if (DateTime.UtcNow >= nextSweep)
                {
                    nextSweep = DateTime.UtcNow + SweepInterval;
                    var removed = await discovery.RemoveStaleAsync(stoppingToken);
                    if (removed > 0)
                    {
                        LogSwept(logger, removed);
                    }
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                // The database is away: the others will see this node as down until it is back, which is the truth.
                if (!failing)
                {
                    LogFailed(logger, e.Message);
                    failing = true;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false) is true);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await discovery.LeaveAsync(cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // Not deleted: the row ages into "down" like a crashed node's.
            LogFailed(logger, e.Message);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Cluster heartbeat failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Cluster heartbeat recovered")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(LogLevel.Information, "Removed {Count} stale node(s) from cluster_discovery")]
    private static partial void LogSwept(ILogger logger, int count);
}
