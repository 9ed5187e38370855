using System.Collections.Concurrent;

namespace Chat.Store.Caching;

/// <summary>
/// A small in-memory cache in front of the database, which stays the truth: entries live at most
/// <paramref name="timeToLive"/>, and every change that could make one wrong invalidates it on every node (see
/// <see cref="StoreCaches"/>). A value read from the database while an invalidation happened is not kept, so a
/// read that raced a change cannot put the old value back after the change's invalidation.
/// </summary>
public sealed class InvalidatingCache<TKey, TValue>(TimeSpan timeToLive, int capacity) where TKey : notnull where TValue : class
{
    private readonly ConcurrentDictionary<TKey, Entry> entries = new();
    private long generation;
    private long hits;
    private long misses;

    public long Hits => Interlocked.Read(ref hits);

    public long Misses => Interlocked.Read(ref misses);

    /// <summary>The cached value, or what <paramref name="load"/> returns (cached unless null).</summary>
    public async Task<TValue?> GetAsync(TKey key, Func<Task<TValue?>> load)
    {
        var now = Environment.TickCount64;
        if (entries.TryGetValue(key, out var entry) && entry.ExpiresAt > now)
        {
            Interlocked.Increment(ref hits);
            return entry.Value;
        }
        Interlocked.Increment(ref misses);
        var seen = Interlocked.Read(ref generation);
        var value = await load();
        if (value is not null)
        {
            if (entries.Count >= capacity)
            {
                // Simpler than LRU and rare: the working set of a node is far below the capacity.
                entries.Clear();
            }
            entries[key] = new Entry(value, now + (long)timeToLive.TotalMilliseconds);
            if (Interlocked.Read(ref generation) != seen)
            {
                // An invalidation ran meanwhile (it bumps the generation before it removes, so one of us removes this).
                entries.TryRemove(key, out _);
            }
        }
        return value;
    }

    /// <summary>Replaces a cached value (keeping its expiry) if it is still there; nothing is added.</summary>
    public void Replace(TKey key, TValue value)
    {
        if (entries.TryGetValue(key, out var entry))
        {
            entries.TryUpdate(key, entry with { Value = value }, entry);
        }
    }

    public void Remove(TKey key)
    {
        Interlocked.Increment(ref generation);
        entries.TryRemove(key, out _);
    }

    public void RemoveWhere(Func<TKey, TValue, bool> predicate)
    {
        Interlocked.Increment(ref generation);
        foreach (var (key, entry) in entries)
        {
            if (predicate(key, entry.Value))
            {
                entries.TryRemove(key, out _);
            }
        }
    }

    public void Clear()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }

    private sealed record Entry(TValue Value, long ExpiresAt);
}
