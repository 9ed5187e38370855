using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.BuildingBlocks.Dapr;
using Npgsql;
using NpgsqlTypes;

namespace Chat.BuildingBlocks.State.Dapr;

/// <summary>
/// The state store through the sidecar's state API (https://docs.dapr.io/reference/api/state_api/):
/// GET /v1.0/state/{store}/{key} (200 with the value and an ETag header, 204 when absent), POST /v1.0/state/{store}
/// with one state item (204 saved; 409 when the ETag does not match, which the runtime maps from the component's
/// ETag-mismatch error), DELETE /v1.0/state/{store}/{key} with If-Match. Writes that carry an ETag, and adds, use
/// concurrency "first-write".
///
/// Dapr's state API cannot list keys (the alpha query API filters values, and state.postgresql v2 does not support
/// it), so this provider keeps an index of the keys it writes in our own PostgreSQL (state_key_index), a superset of
/// the sidecar's keys: a save touches the index before (unless it names an ETag) and after writing to the sidecar,
/// a delete removes the index row afterwards only if no save touched it meanwhile. A listing reads the index by prefix and keeps the keys the
/// sidecar still has (bulk get, POST /v1.0/state/{store}/bulk).
/// </summary>
public sealed class DaprStateStore(DaprSidecarClient sidecar, NpgsqlDataSource dataSource, BuildingBlocksOptions options) : IStateStore
{
    private const int BulkKeys = 100;

    /// <summary>Index rows outlive their key's time to live by this much, for clock differences between the sidecar's store and our database.</summary>
    private static readonly TimeSpan IndexGrace = TimeSpan.FromMinutes(1);

    private string Store => DaprPath.Segment(options.StateStoreName);

    public async Task<StateEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        using var response = await sidecar.SendAsync(HttpMethod.Get, $"v1.0/state/{Store}/{DaprPath.Segment(key)}", null, null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }
        await DaprSidecarClient.EnsureAsync(response, cancellationToken, HttpStatusCode.OK);
        // The ETag header is unquoted (e.g. "Etag: 1"), which the typed ETag header rejects: read it raw.
        var etag = response.Headers.NonValidated.TryGetValues("ETag", out var values) ? values.FirstOrDefault() : null;
        var value = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return new StateEntry(key, value, etag ?? throw new DaprException(response.StatusCode, "the state store returned no ETag"));
    }

    public Task<bool> SaveAsync(string key, JsonElement value, string? etag = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        return WriteAsync(new StateItem(key, value, etag, etag is null ? null : FirstWrite, Metadata(timeToLive)), timeToLive, adding: false, cancellationToken);
    }

    public Task<bool> TryAddAsync(string key, JsonElement value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        return WriteAsync(new StateItem(key, value, null, FirstWrite, Metadata(timeToLive)), timeToLive, adding: true, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string key, string? etag = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        var generation = await IndexGenerationAsync(key, cancellationToken);
        var path = $"v1.0/state/{Store}/{DaprPath.Segment(key)}" + (etag is null ? "" : "?concurrency=first-write");
        using var response = await sidecar.SendAsync(HttpMethod.Delete, path, null, request =>
        {
            if (etag is not null)
            {
                // Sent as is: the runtime reads the raw header value as the ETag.
                request.Headers.TryAddWithoutValidation("If-Match", etag);
            }
        }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict && etag is not null)
        {
            return false;
        }
        await DaprSidecarClient.EnsureAsync(response, cancellationToken, HttpStatusCode.NoContent, HttpStatusCode.OK);
        if (generation is { } seen)
        {
            await using var unindex = dataSource.CreateCommand("DELETE FROM state_key_index WHERE store = $1 AND key = $2 AND xmin::text = $3");
            unindex.Parameters.Add(new NpgsqlParameter { Value = options.StateStoreName });
            unindex.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
            unindex.Parameters.Add(new NpgsqlParameter { Value = seen });
            await unindex.ExecuteNonQueryAsync(cancellationToken);
        }
        return true;
    }

    public async Task<IReadOnlyList<string>> ListKeysAsync(string prefix, int skip = 0, int take = 1000, CancellationToken cancellationToken = default)
    {
        StateKeys.ValidatePage(skip, take);
        var live = new List<string>();
        var after = "";
        while (live.Count < skip + take)
        {
            var candidates = await IndexedKeysAsync(prefix, after, BulkKeys, cancellationToken);
            if (candidates.Count == 0)
            {
                break;
            }
            live.AddRange(await ExistingAsync(candidates, cancellationToken));
            after = candidates[^1];
        }
        return [.. live.Skip(skip).Take(take)];
    }

    private async Task<bool> WriteAsync(StateItem item, TimeSpan? timeToLive, bool adding, CancellationToken cancellationToken)
    {
        if (item.ETag is null)
        {
            // Before the write, so a crash right after it cannot leave a new key unindexed. A write with an ETag
            // can only succeed on a key that exists, which its first write indexed.
            await IndexAsync(item.Key, timeToLive, cancellationToken);
        }
        using var response = await sidecar.SendAsync(HttpMethod.Post, $"v1.0/state/{Store}", new[] { item }, null, cancellationToken);
        var saved = response.StatusCode == HttpStatusCode.NoContent || response.StatusCode == HttpStatusCode.OK;
        if (!saved && response.StatusCode == HttpStatusCode.Conflict && (item.ETag is not null || adding))
        {
            return false;
        }
        if (!saved && adding && response.StatusCode == HttpStatusCode.InternalServerError)
        {
            // state.postgresql v2 reports a first-write add onto a live key as a plain error, not an ETag mismatch
            // (its upsert updates no row): "failed saving state in state store ...: no item was updated".
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (body.Contains("no item was updated", StringComparison.Ordinal))
            {
                return false;
            }
            throw new DaprException(response.StatusCode, body);
        }
        await DaprSidecarClient.EnsureAsync(response, cancellationToken, HttpStatusCode.NoContent, HttpStatusCode.OK);
        // Touched again after the write, so a delete that raced with this save cannot leave the key unindexed.
        await IndexAsync(item.Key, timeToLive, cancellationToken);
        return true;
    }

    /// <summary>Records the key (a new row version, which <see cref="DeleteAsync"/> notices); its expiry only ever grows.</summary>
    private async Task IndexAsync(string key, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO state_key_index AS i (store, key, expires_at) VALUES ($1, $2, now() + $3)
            ON CONFLICT (store, key) DO UPDATE SET expires_at =
                CASE WHEN i.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL ELSE greatest(i.expires_at, excluded.expires_at) END
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = options.StateStoreName });
        command.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = timeToLive is { } ttl ? ttl + IndexGrace : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The index row's version (its xmin), or null when the key is not indexed.</summary>
    private async Task<string?> IndexGenerationAsync(string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT xmin::text FROM state_key_index WHERE store = $1 AND key = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = options.StateStoreName });
        command.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    private async Task<List<string>> IndexedKeysAsync(string prefix, string after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT key FROM state_key_index
            WHERE store = $1 AND key LIKE $2 AND key > $3 AND (expires_at IS NULL OR expires_at > now())
            ORDER BY key LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = options.StateStoreName });
        command.Parameters.Add(new NpgsqlParameter { Value = Embedded.EmbeddedStateStore.LikePrefix(prefix), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = after, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }
        return keys;
    }

    /// <summary>Which of <paramref name="keys"/> the sidecar has: bulk get answers every key, with "data" only for those that exist.</summary>
    private async Task<IEnumerable<string>> ExistingAsync(List<string> keys, CancellationToken cancellationToken)
    {
        using var response = await sidecar.SendAsync(HttpMethod.Post, $"v1.0/state/{Store}/bulk", new BulkGet(keys, 10), null, cancellationToken);
        await DaprSidecarClient.EnsureAsync(response, cancellationToken, HttpStatusCode.OK);
        var items = await response.Content.ReadFromJsonAsync<BulkItem[]>(JsonSerializerOptions.Web, cancellationToken) ?? [];
        var present = items.Where(i => i.Data is { ValueKind: not JsonValueKind.Undefined }).Select(i => i.Key).ToHashSet(StringComparer.Ordinal);
        return keys.Where(present.Contains);
    }

    private static readonly StateOptions FirstWrite = new("first-write");

    /// <summary>ttlInSeconds as a string: state item metadata is a map of strings.</summary>
    private static Dictionary<string, string>? Metadata(TimeSpan? timeToLive) =>
        timeToLive is { } ttl ? new() { ["ttlInSeconds"] = StateKeys.Seconds(ttl).ToString(System.Globalization.CultureInfo.InvariantCulture) } : null;

    private sealed record StateItem(
        [property: JsonPropertyName("key")] string Key,
        [property: JsonPropertyName("value")] JsonElement Value,
        [property: JsonPropertyName("etag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ETag,
        [property: JsonPropertyName("options"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] StateOptions? Options,
        [property: JsonPropertyName("metadata"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string>? Metadata);

    private sealed record StateOptions([property: JsonPropertyName("concurrency")] string Concurrency);

    private sealed record BulkGet([property: JsonPropertyName("keys")] List<string> Keys, [property: JsonPropertyName("parallelism")] int Parallelism);

    private sealed record BulkItem(string Key, JsonElement? Data, string? ETag);
}
