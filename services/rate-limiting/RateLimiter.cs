namespace Chat.RateLimiting;

/// <summary>
/// A quota per key, kept in this process's memory for at most <paramref name="capacity"/> keys: past that, the least
/// recently seen key is forgotten (it starts afresh if it comes back), like Mattermost's LRU memory store.
/// </summary>
public sealed class RateLimiter(RateQuota quota, int capacity, Func<long>? clock = null)
{
    private readonly Func<long> clock = clock ?? GcraCell.Now;
    private readonly Dictionary<string, LinkedListNode<(string Key, GcraCell Cell)>> cells = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, GcraCell Cell)> recency = new();
    private readonly Lock gate = new();

    public RateQuota Quota => quota;

    public int Count
    {
        get
        {
            lock (gate)
            {
                return cells.Count;
            }
        }
    }

    public RateDecision Take(string key)
    {
        var now = clock();
        lock (gate)
        {
            if (cells.TryGetValue(key, out var node))
            {
                recency.Remove(node);
                recency.AddFirst(node);
            }
            else
            {
                if (cells.Count >= capacity && recency.Last is { } oldest)
                {
                    recency.RemoveLast();
                    cells.Remove(oldest.Value.Key);
                }
                node = recency.AddFirst((key, new GcraCell(quota)));
                cells[key] = node;
            }
            return node.Value.Cell.Take(now);
        }
    }
}
