using System.Collections.Immutable;

namespace Chat.BuildingBlocks.PubSub;

/// <summary>The handlers per topic of one process; read lock-free on every delivery.</summary>
internal sealed class SubscriptionRegistry
{
    private readonly Lock gate = new();
    private ImmutableDictionary<string, ImmutableArray<ClusterEventHandler>> handlers =
        ImmutableDictionary<string, ImmutableArray<ClusterEventHandler>>.Empty.WithComparers(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Topics => Volatile.Read(ref handlers).Keys.ToArray();

    public ImmutableArray<ClusterEventHandler> HandlersFor(string topic) =>
        Volatile.Read(ref handlers).TryGetValue(topic, out var list) ? list : [];

    public IDisposable Add(string topic, ClusterEventHandler handler)
    {
        ClusterEvent.ValidateTopic(topic);
        ArgumentNullException.ThrowIfNull(handler);
        lock (gate)
        {
            handlers = handlers.SetItem(topic, HandlersFor(topic).Add(handler));
        }
        return new Subscription(this, topic, handler);
    }

    private void Remove(string topic, ClusterEventHandler handler)
    {
        lock (gate)
        {
            var remaining = HandlersFor(topic).Remove(handler);
            handlers = remaining.IsEmpty ? handlers.Remove(topic) : handlers.SetItem(topic, remaining);
        }
    }

    private sealed class Subscription(SubscriptionRegistry registry, string topic, ClusterEventHandler handler) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                registry.Remove(topic, handler);
            }
        }
    }
}
