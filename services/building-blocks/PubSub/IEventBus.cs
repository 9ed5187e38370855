using Npgsql;

namespace Chat.BuildingBlocks.PubSub;

/// <summary>
/// Publish/subscribe between the nodes of the cluster (Dapr's pub/sub building block).
/// Broadcast: every process that subscribes to a topic receives every event published to it from then on; these
/// are not competing consumers. Delivery is at least once; handlers must be idempotent on <see cref="ClusterEvent.Id"/>.
/// Order: the embedded provider delivers in one cluster-wide order that respects commit causality; through Dapr,
/// events arrive in the order the component delivers them (in order only with a single worker per consumer).
/// </summary>
public interface IEventBus
{
    /// <summary>Publishes now. The events are durable (or accepted by the sidecar) when the task completes.</summary>
    Task PublishAsync(IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the events in the caller's transaction (the transactional outbox): they are delivered if and only
    /// if that transaction commits, so a change and its event can never disagree, even if the node dies right
    /// after the commit. Publishing an id that was already published is a no-op.
    /// </summary>
    Task PublishAsync(NpgsqlTransaction transaction, IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Calls <paramref name="handler"/> for every event on <paramref name="topic"/> until the returned handle is
    /// disposed. The embedded provider calls a process's handlers one event at a time, so a slow handler delays
    /// the others: hand work off rather than doing it inline. Subscribe before the application starts listening:
    /// the Dapr sidecar asks for the subscriptions once, at start-up.
    /// </summary>
    IDisposable Subscribe(string topic, ClusterEventHandler handler);
}

public static class EventBusExtensions
{
    public static Task PublishAsync(this IEventBus bus, ClusterEvent clusterEvent, CancellationToken cancellationToken = default) =>
        bus.PublishAsync([clusterEvent], cancellationToken);

    public static Task PublishAsync(this IEventBus bus, NpgsqlTransaction transaction, ClusterEvent clusterEvent, CancellationToken cancellationToken = default) =>
        bus.PublishAsync(transaction, [clusterEvent], cancellationToken);
}
