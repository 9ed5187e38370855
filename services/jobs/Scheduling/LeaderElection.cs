using Chat.ClusterMembership;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Dapper;
using Npgsql;

namespace Chat.Jobs.Scheduling;

/// <summary>
/// The embedded provider's scheduler leadership (the bully rule): among the live jobs nodes that run the scheduler
/// (JobSettings.RunScheduler), the one with the lowest node id leads; node ids sort by start time, so that is the
/// oldest. Every tick (a quarter of JobSettings.LeaderTimeoutMilliseconds) a candidate renews its row in
/// job_scheduler_candidates; the lowest live candidate takes over the job_leader row by compare-and-set, raising
/// the epoch, unless it holds it already. Only the leader creates scheduled jobs, each in a transaction that
/// re-reads its node and epoch under FOR SHARE (<see cref="FenceAsync"/>): a takeover commits either before
/// (the deposed leader's write fails) or after (it waits for the write), so two nodes never schedule as leader at
/// once. The takeover also sets cluster_discovery.is_leader. Liveness is judged by the database's clock.
/// </summary>
public sealed partial class LeaderElection(
    NpgsqlDataSource db, ChatConfig config, NodeInfo node, JobTypeRegistry registry, SlotScheduler scheduler, ILogger<LeaderElection> logger)
    : BackgroundService
{
    private readonly string cluster = config.ClusterSettings.ClusterName;
    private string? knownLeader;
    private long epoch;
    private bool leading;

    private TimeSpan Timeout => TimeSpan.FromMilliseconds(config.JobSettings.LeaderTimeoutMilliseconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TickAsync(stoppingToken);
                failing = false;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                // Cut off from the database: stop acting as leader (the fence would refuse anyway); others decide.
                SetLeading(false, epoch);
                if (!failing)
                {
                    LogTickFailed(e.Message);
                    failing = true;
                }
            }
            try
            {
                await Task.Delay(Timeout / 4, stoppingToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var (leader, currentEpoch) = await ElectAsync(cancellationToken);
        if (leader != knownLeader)
        {
            LogLeaderChanged(leader, currentEpoch, leader == node.NodeId);
            knownLeader = leader;
        }
        SetLeading(leader == node.NodeId, currentEpoch);
        if (!leading)
        {
            return;
        }
        foreach (var type in registry.Types)
        {
            if (await scheduler.ScheduleDueAsync(type, FenceAsync, cancellationToken) is null)
            {
                SetLeading(false, currentEpoch);
                LogDeposed(currentEpoch);
                return;
            }
        }
    }

    /// <summary>Renews this node's candidacy and takes the lead if it is the lowest live candidate; returns who leads.</summary>
    private async Task<(string Leader, long Epoch)> ElectAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var args = new { Cluster = cluster, Me = node.NodeId, TimeoutMs = (double)config.JobSettings.LeaderTimeoutMilliseconds };
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO job_scheduler_candidates (node_id, cluster_name) VALUES (@Me, @Cluster)
            ON CONFLICT (node_id) DO UPDATE SET last_seen_at = now()
            """, args, tx, cancellationToken: cancellationToken));
        // A separate statement: it must see the renewal above. The WHERE of the upsert is re-checked against the
        // locked row, so two takeovers serialise and each raises the epoch.
        var tookOver = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition("""
            WITH lowest AS (
                SELECT min(node_id COLLATE "C") AS node_id FROM job_scheduler_candidates
                WHERE cluster_name = @Cluster AND last_seen_at > now() - make_interval(secs => @TimeoutMs / 1000))
            INSERT INTO job_leader AS l (cluster_name, node_id, epoch)
            SELECT @Cluster, @Me, 1 FROM lowest WHERE lowest.node_id = @Me
            ON CONFLICT (cluster_name) DO UPDATE SET node_id = excluded.node_id, epoch = l.epoch + 1, since = now()
            WHERE l.node_id <> excluded.node_id
            RETURNING epoch
            """, args, tx, cancellationToken: cancellationToken));
        if (tookOver is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE cluster_discovery SET is_leader = (id = @Me) WHERE cluster_name = @Cluster AND service = 'jobs' AND is_leader <> (id = @Me)",
                args, tx, cancellationToken: cancellationToken));
        }
        var current = await connection.QuerySingleOrDefaultAsync<(string NodeId, long Epoch)?>(new CommandDefinition(
            "SELECT node_id, epoch FROM job_leader WHERE cluster_name = @Cluster", args, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return current is { } c ? (c.NodeId, c.Epoch) : ("", 0);
    }

    /// <summary>The scheduling write's guard: this node still leads at the epoch it took over with; the row stays locked until the write commits.</summary>
    private async Task<bool> FenceAsync(NpgsqlTransaction tx, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM job_leader WHERE cluster_name = @cluster AND node_id = @me AND epoch = @epoch FOR SHARE",
            new { cluster, me = node.NodeId, epoch }, tx, cancellationToken: cancellationToken)) is 1;

    private void SetLeading(bool value, long currentEpoch)
    {
        leading = value;
        epoch = currentEpoch;
    }

    /// <summary>A graceful stop hands the lead on at once: the candidacy goes and the leader row is vacated (its epoch kept, so it keeps rising).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("""
                DELETE FROM job_scheduler_candidates WHERE node_id = @me;
                UPDATE job_leader SET node_id = '' WHERE cluster_name = @cluster AND node_id = @me;
                UPDATE cluster_discovery SET is_leader = false WHERE id = @me;
                """, new { cluster, me = node.NodeId }, cancellationToken: cancellationToken));
            if (leading)
            {
                LogSteppedDown(epoch);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            LogTickFailed(e.Message);
        }
    }

    [LoggerMessage(LogLevel.Information, "Scheduler leader is now {Leader} (epoch {Epoch}; this node: {IsMe})")]
    private partial void LogLeaderChanged(string leader, long epoch, bool isMe);

    [LoggerMessage(LogLevel.Warning, "Lost scheduler leadership (epoch {Epoch}) before a scheduling write; it was not made")]
    private partial void LogDeposed(long epoch);

    [LoggerMessage(LogLevel.Information, "Stepped down as scheduler leader (epoch {Epoch}) on shutdown")]
    private partial void LogSteppedDown(long epoch);

    [LoggerMessage(LogLevel.Warning, "Scheduler election failed: {Reason}")]
    private partial void LogTickFailed(string reason);
}
