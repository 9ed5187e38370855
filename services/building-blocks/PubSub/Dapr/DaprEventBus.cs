using Chat.BuildingBlocks.Dapr;
using Chat.BuildingBlocks.PubSub.Embedded;
using Chat.SchemaMigrations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks.PubSub.Dapr;

/// <summary>
/// Pub/sub through the Dapr sidecar. Direct publishes go straight to the sidecar. Transactional publishes are
/// written to cluster_events in the caller's transaction (the outbox) and forwarded to the sidecar, in log order, by
/// one relay in the cluster (whichever node holds an advisory lock), a durable consumer of the log that resumes where
/// the previous relay stopped. A relay that dies after publishing but before saving its position re-publishes the
/// same events with the same CloudEvent ids, which consumers de-duplicate. Delivery to this process comes in through
/// <see cref="DaprSubscriptionEndpoints"/>.
/// </summary>
public sealed partial class DaprEventBus : IEventBus, IHostedService, IAsyncDisposable
{
    /// <summary>The relay's durable cursor name.</summary>
    public const string RelayConsumer = "dapr-outbox-relay";

    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource dataSource;
    private readonly BuildingBlocksOptions options;
    private readonly DaprSidecarClient sidecar;
    private readonly ILogger logger;
    private readonly EventLog log;
    private readonly EventLogPruner pruner;
    private readonly CancellationTokenSource stopping = new();
    private readonly DateTimeOffset startedAt = DateTimeOffset.UtcNow;
    private Task running = Task.CompletedTask;

    public DaprEventBus(NpgsqlDataSource dataSource, BuildingBlocksOptions options, DaprSidecarClient sidecar, ILogger<DaprEventBus> logger)
    {
        this.dataSource = dataSource;
        this.options = options;
        this.sidecar = sidecar;
        this.logger = logger;
        log = new EventLog(dataSource, options.Embedded, logger);
        pruner = new EventLogPruner(dataSource, options.Embedded, logger);
        Deduplicator = new DeliveryDeduplicator(options.Dapr.DeduplicationCapacity);
    }

    internal SubscriptionRegistry Subscriptions { get; } = new();

    internal DeliveryDeduplicator Deduplicator { get; }

    internal DaprSidecarOptions SidecarOptions => options.Dapr;

    internal string PubSubName => options.PubSubName;

    /// <summary>
    /// A new per-instance consumer group starts at the beginning of the stream (Dapr creates it from id 0), so a new
    /// instance is handed everything the stream still holds. Unless this process is a durable consumer, events
    /// published before it started (less an allowance for clock skew between nodes) are acknowledged unhandled,
    /// which gives the embedded provider's semantics: events from the start on.
    /// </summary>
    internal bool PredatesThisProcess(ClusterEvent clusterEvent) =>
        options.ConsumerName is null && clusterEvent.Time < startedAt - ClockSkewAllowance;

    /// <summary>True while this process is the cluster's outbox relay.</summary>
    public bool IsRelay { get; private set; }

    public async Task PublishAsync(IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default)
    {
        foreach (var clusterEvent in events)
        {
            using var activity = PubSubTelemetry.StartPublish("dapr", 1, clusterEvent.Topic);
            await sidecar.PublishAsync(options.PubSubName, clusterEvent, cancellationToken);
        }
    }

    public async Task PublishAsync(NpgsqlTransaction transaction, IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default)
    {
        using var activity = PubSubTelemetry.StartPublish("dapr", events.Count, null);
        await log.AppendAsync(transaction, events, cancellationToken);
    }

    public IDisposable Subscribe(string topic, ClusterEventHandler handler) => Subscriptions.Add(topic, handler);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        running = Task.WhenAll(
            Quietly(log.Notifier.RunAsync(stopping.Token)),
            Quietly(RelayWhileLeaderAsync(stopping.Token)),
            Quietly(pruner.RunAsync(stopping.Token)));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await running.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!stopping.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Campaigns for the relay lock; while holding it (its connection alive), forwards the outbox.</summary>
    private async Task RelayWhileLeaderAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var leader = await dataSource.OpenConnectionAsync(cancellationToken);
                await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", leader))
                {
                    tryLock.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKeys.DaprEventRelay });
                    if ((bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
                    {
                        await RelayAsync(leader, cancellationToken);
                    }
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                LogRelayInterrupted(e.Message);
            }
            IsRelay = false;
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
    }

    private async Task RelayAsync(NpgsqlConnection leader, CancellationToken cancellationToken)
    {
        IsRelay = true;
        LogRelayStarted();
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var relay = new EventLogReader(dataSource, options.Embedded, RelayConsumer, () => null, (_, e, ct) => ForwardAsync(e, ct), logger);
        var following = relay.RunAsync(lost.Token);
        try
        {
            // The lock lives as long as its session: check the session, and stop relaying the moment it is gone.
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await using var ping = new NpgsqlCommand("SELECT 1", leader);
                await ping.ExecuteScalarAsync(cancellationToken);
            }
        }
        finally
        {
            await lost.CancelAsync();
            await following;
        }
    }

    /// <summary>Publishes one outbox event, retrying until the sidecar takes it: the outbox never drops an event.</summary>
    private async Task ForwardAsync(ClusterEvent clusterEvent, CancellationToken cancellationToken)
    {
        using var activity = PubSubTelemetry.StartPublish("dapr", 1, clusterEvent.Topic, clusterEvent.TraceParent);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await sidecar.PublishAsync(options.PubSubName, clusterEvent, cancellationToken);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or DaprException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogForwardFailed(clusterEvent.Id, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, attempt - 1), 5_000)), cancellationToken);
            }
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(LogLevel.Information, "This node now relays the cluster-event outbox to the Dapr sidecar")]
    private partial void LogRelayStarted();

    [LoggerMessage(LogLevel.Warning, "Outbox relay interrupted ({Reason}); campaigning again")]
    private partial void LogRelayInterrupted(string reason);

    [LoggerMessage(LogLevel.Warning, "Publishing outbox event {Id} to the sidecar failed (attempt {Attempt}): {Reason}")]
    private partial void LogForwardFailed(string id, int attempt, string reason);
}
