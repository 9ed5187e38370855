using System.Text.Json;

namespace Chat.BuildingBlocks.State;

/// <summary>
/// Key-value state shared by the cluster (Dapr's state building block: GET/POST/DELETE /v1.0/state/{store}).
/// Values are JSON. Concurrency is optimistic with ETags, Dapr's first-write mode: a write that names an ETag
/// succeeds only while the stored value still has that ETag (the sidecar answers 409 otherwise); a write without one
/// is last-write-wins. Providers: Embedded (a PostgreSQL table) and Dapr (state.postgresql v2); both come with a
/// later issue.
/// </summary>
public interface IStateStore
{
    /// <summary>The value and its current ETag, or null when the key is absent or its time to live has passed.</summary>
    Task<StateEntry?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="value"/>. With <paramref name="etag"/>, only if the stored ETag still matches: false
    /// means another writer got there first (re-read and decide again). <paramref name="timeToLive"/> makes the key
    /// expire (Dapr: metadata.ttlInSeconds); a later write without one makes it permanent again.
    /// </summary>
    Task<bool> SaveAsync(string key, JsonElement value, string? etag = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the key; with <paramref name="etag"/>, only if it still matches (false otherwise). Deleting an absent key succeeds.</summary>
    Task<bool> DeleteAsync(string key, string? etag = null, CancellationToken cancellationToken = default);
}

/// <summary>A stored value; <see cref="ETag"/> is opaque and changes on every write.</summary>
public sealed record StateEntry(string Key, JsonElement Value, string ETag);
