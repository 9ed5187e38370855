using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks.PubSub.Embedded;

/// <summary>
/// Pub/sub on the cluster's PostgreSQL: publishing appends to the cluster_events log (in the caller's transaction
/// when given one: the log is the outbox), and every process follows the log with its own cursor, which is what
/// makes it a broadcast. See <see cref="EventLogReader"/> for ordering and <see cref="WakeUpNotifier"/> for wake-ups.
/// </summary>
public sealed partial class EmbeddedEventBus : IEventBus, IHostedService, IAsyncDisposable
{
    private readonly EmbeddedPubSubOptions options;
    private readonly ILogger logger;
    private readonly EventLog log;
    private readonly EventLogReader reader;
    private readonly EventLogPruner pruner;
    private readonly SubscriptionRegistry subscriptions = new();
    private readonly CancellationTokenSource stopping = new();
    private Task running = Task.CompletedTask;

    public EmbeddedEventBus(NpgsqlDataSource dataSource, BuildingBlocksOptions options, ILogger<EmbeddedEventBus> logger)
    {
        this.options = options.Embedded;
        this.logger = logger;
        log = new EventLog(dataSource, this.options, logger);
        reader = new EventLogReader(dataSource, this.options, options.ConsumerName, () => subscriptions.Topics, (_, e, ct) => DeliverAsync(e, ct), logger,
            topicsChanged: () => subscriptions.TopicsChanged);
        pruner = new EventLogPruner(dataSource, this.options, logger);
    }

    public async Task PublishAsync(IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default)
    {
        using var activity = PubSubTelemetry.StartPublish("postgresql", events.Count, SingleTopic(events));
        await log.AppendAsync(events, cancellationToken);
    }

    public async Task PublishAsync(NpgsqlTransaction transaction, IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default)
    {
        using var activity = PubSubTelemetry.StartPublish("postgresql", events.Count, SingleTopic(events));
        await log.AppendAsync(transaction, events, cancellationToken);
    }

    public IDisposable Subscribe(string topic, ClusterEventHandler handler) => subscriptions.Add(topic, handler);

    /// <summary>Starts following the log (migrated before the host starts) and returns once events published from now on will reach this process.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        running = Task.WhenAll(
            Quietly(log.Notifier.RunAsync(stopping.Token)),
            Quietly(reader.RunAsync(stopping.Token)),
            Quietly(pruner.RunAsync(stopping.Token)));
        await reader.Ready.WaitAsync(cancellationToken);
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

    /// <summary>
    /// Calls the topic's handlers in turn. A failing handler is retried with back-off, then given up for that event
    /// (and logged), so that one poison event cannot stall the whole cluster's event stream on this node.
    /// </summary>
    private async Task DeliverAsync(ClusterEvent clusterEvent, CancellationToken cancellationToken)
    {
        var handlers = subscriptions.HandlersFor(clusterEvent.Topic);
        if (handlers.IsEmpty)
        {
            return;
        }
        using var activity = PubSubTelemetry.StartConsume(clusterEvent);
        foreach (var handler in handlers)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await handler(clusterEvent, cancellationToken);
                    break;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= options.MaxDeliveryAttempts)
                    {
                        LogGaveUp(e, clusterEvent.Id, clusterEvent.Topic, clusterEvent.Type, attempt);
                        activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                        break;
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * Math.Pow(2, attempt - 1), 2_000)), cancellationToken);
                }
            }
        }
    }

    private static string? SingleTopic(IReadOnlyList<ClusterEvent> events) =>
        events.Count > 0 && events.All(e => e.Topic == events[0].Topic) ? events[0].Topic : null;

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

    [LoggerMessage(LogLevel.Error, "Gave up event {Id} ({Topic}/{Type}) for one handler after {Attempts} attempts")]
    private partial void LogGaveUp(Exception e, string id, string topic, string type, int attempts);
}
