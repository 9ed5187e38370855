using System.Collections.Immutable;

namespace Chat.BuildingBlocks.PubSub;

/// <summary>The handlers per topic of one process; read lock-free on every delivery.</summary>
internal sealed class SubscriptionRegistry
{
    private readonly Lock gate = new();
    private ImmutableDictionary<string, ImmutableArray<ClusterEventHandler>> handlers =
        ImmutableDictionary<string, ImmutableArray<ClusterEventHandler>>.Empty.WithComparers(StringComparer.Ordinal);

    private CancellationTokenSource topicsChanged = new();

    public IReadOnlyCollection<string> Topics => Volatile.Read(ref handlers).Keys.ToArray();

    /// <summary>Cancelled when the set of <see cref="Topics"/> next changes (read it before <see cref="Topics"/>).</summary>
    public CancellationToken TopicsChanged => Volatile.Read(ref topicsChanged).Token;

    public ImmutableArray<ClusterEventHandler> HandlersFor(string topic) =>
        Volatile.Read(ref handlers).TryGetValue(topic, out var list) ? list : [];

    public IDisposable Add(string topic, ClusterEventHandler handler)
    {
        ClusterEvent.ValidateTopic(topic);
        ArgumentNullException.ThrowIfNull(handler);
        bool added;
        lock (gate)
        {
            added = !handlers.ContainsKey(topic);
            handlers = handlers.SetItem(topic, HandlersFor(topic).Add(handler));
        }
        if (added)
        {
            SignalTopicsChanged();
        }
        return new Subscription(this, topic, handler);
    }

    private void Remove(string topic, ClusterEventHandler handler)
    {
        bool removed;
        lock (gate)
        {
            var remaining = HandlersFor(topic).Remove(handler);
            removed = remaining.IsEmpty;
            handlers = removed ? handlers.Remove(topic) : handlers.SetItem(topic, remaining);
        }
        if (removed)
        {
            SignalTopicsChanged();
        }
    }

    private void SignalTopicsChanged() => Interlocked.Exchange(ref topicsChanged, new CancellationTokenSource()).Cancel();

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
