using System.Text.Json;

namespace Chat.BuildingBlocks.State;

/// <summary>
/// Key-value state shared by the cluster (Dapr's state building block: GET/POST/DELETE /v1.0/state/{store}).
/// Values are JSON. Concurrency is optimistic with ETags, Dapr's first-write mode: a write that names an ETag
/// succeeds only while the stored value still has that ETag (an absent or expired key has none, so it fails too); a
/// write without one is last-write-wins. One store per cluster: callers isolate their keys with a prefix of their
/// own (e.g. a plugin id). Keys are non-empty and contain neither "||" (Dapr's key separator) nor '/' (they travel
/// as one URL path segment to the sidecar): callers with arbitrary keys encode them (e.g. base64url).
/// Providers: Embedded (a PostgreSQL table) and Dapr (the state store component named by DaprSettings.StateStoreName).
/// </summary>
public interface IStateStore
{
    /// <summary>The value and its current ETag, or null when the key is absent or its time to live has passed.</summary>
    Task<StateEntry?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="value"/>. With <paramref name="etag"/>, only if the stored ETag still matches: false
    /// means another writer got there first (re-read and decide again). <paramref name="timeToLive"/> makes the key
    /// expire (whole seconds through Dapr: metadata.ttlInSeconds); a later write without one makes it permanent again.
    /// </summary>
    Task<bool> SaveAsync(string key, JsonElement value, string? etag = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="value"/> only if the key is absent (or expired), atomically: of concurrent adders
    /// exactly one gets true. Dapr: a first-write save without an ETag.
    /// </summary>
    Task<bool> TryAddAsync(string key, JsonElement value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the key; with <paramref name="etag"/>, only if it still matches (false otherwise). Deleting an absent key without an ETag succeeds.</summary>
    Task<bool> DeleteAsync(string key, string? etag = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The live keys that start with <paramref name="prefix"/>, in ordinal order, <paramref name="skip"/> and
    /// <paramref name="take"/> for paging. Not a snapshot: keys written meanwhile may or may not appear.
    /// </summary>
    Task<IReadOnlyList<string>> ListKeysAsync(string prefix, int skip = 0, int take = 1000, CancellationToken cancellationToken = default);
}

/// <summary>A stored value; <see cref="ETag"/> is opaque and changes on every write.</summary>
public sealed record StateEntry(string Key, JsonElement Value, string ETag);

internal static class StateKeys
{
    public static void Validate(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains("||", StringComparison.Ordinal) || key.Contains('/'))
        {
            throw new ArgumentException("A state key must be non-empty, without \"||\" or '/'.", nameof(key));
        }
    }

    public static void ValidatePage(int skip, int take)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(take);
    }

    /// <summary>Whole seconds, rounded up (Dapr's TTL unit), so a key never expires before its time.</summary>
    public static long Seconds(TimeSpan timeToLive) =>
        timeToLive > TimeSpan.Zero
            ? Math.Max(1, (long)Math.Ceiling(timeToLive.TotalSeconds))
            : throw new ArgumentOutOfRangeException(nameof(timeToLive), "A time to live must be positive.");
}
