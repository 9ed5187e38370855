using System.Text;
using System.Text.Json;
using Chat.BuildingBlocks.State;
using Chat.Plugins.Sdk;
using Chat.ServiceDefaults;

namespace Chat.Api.Plugins;

/// <summary>
/// Plugins' KV store on the state building block (embedded: the state_entries table; Dapr: the state API), so every
/// node's copy of a plugin sees the same values. Each plugin's keys live under <c>plugin:{id}:</c>, with '%', '/'
/// and '|' percent-encoded (state keys may not contain '/' or "||"), so no key of one plugin can reach another's.
/// Values are stored as base64 JSON strings. Compare-and-set uses the store's ETags: the comparison with the old
/// value and the write are one atomic step across the cluster.
/// </summary>
public sealed class PluginKeyValueStore(IStateStore state)
{
    /// <summary>Mattermost's limit on KV keys (characters).</summary>
    public const int MaxKeyLength = 150;
    public const int MaxValueBytes = 1024 * 1024;
    public const int MaxPerPage = 1000;

    public async Task SetAsync(string pluginId, string? key, byte[]? value, long expireInSeconds, CancellationToken cancellationToken)
    {
        var stored = StateKey(pluginId, key);
        await state.SaveAsync(stored, Encode(value ?? throw ValueMissing()), timeToLive: Ttl(expireInSeconds), cancellationToken: cancellationToken);
    }

    /// <summary>Mattermost's KVSetWithOptions; true when the write (or delete) happened.</summary>
    public async Task<bool> SetWithOptionsAsync(string pluginId, string? key, byte[]? value, PluginKVSetOptions? options, CancellationToken cancellationToken)
    {
        options ??= new PluginKVSetOptions();
        var stored = StateKey(pluginId, key);
        var ttl = Ttl(options.ExpireInSeconds);
        var encoded = value is null ? (JsonElement?)null : Encode(value);
        if (!options.Atomic)
        {
            return encoded is { } v ? await state.SaveAsync(stored, v, timeToLive: ttl, cancellationToken: cancellationToken) : await state.DeleteAsync(stored, cancellationToken: cancellationToken);
        }
        if (options.OldValue is null)
        {
            // Only if absent: an add, or (no new value) nothing to delete.
            return encoded is { } v && await state.TryAddAsync(stored, v, ttl, cancellationToken);
        }
        var current = await state.GetAsync(stored, cancellationToken);
        if (current is null || !Decode(current.Value).AsSpan().SequenceEqual(options.OldValue))
        {
            return false;
        }
        return encoded is { } next
            ? await state.SaveAsync(stored, next, current.ETag, ttl, cancellationToken)
            : await state.DeleteAsync(stored, current.ETag, cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string pluginId, string? key, CancellationToken cancellationToken) =>
        await state.GetAsync(StateKey(pluginId, key), cancellationToken) is { } entry ? Decode(entry.Value) : null;

    public Task DeleteAsync(string pluginId, string? key, CancellationToken cancellationToken) =>
        state.DeleteAsync(StateKey(pluginId, key), cancellationToken: cancellationToken);

    public async Task DeleteAllAsync(string pluginId, CancellationToken cancellationToken)
    {
        var prefix = Prefix(pluginId);
        while (await state.ListKeysAsync(prefix, 0, MaxPerPage, cancellationToken) is { Count: > 0 } keys)
        {
            foreach (var key in keys)
            {
                await state.DeleteAsync(key, cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>A page of the plugin's keys (as the plugin wrote them), in the order of their stored form.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string pluginId, int page, int perPage, CancellationToken cancellationToken)
    {
        if (page < 0 || perPage is < 1 or > MaxPerPage || (long)page * perPage > int.MaxValue)
        {
            throw AppErrorException.BadRequest("app.plugin.kv_list.paging.app_error", $"KVList needs a page of 0 or more and 1 to {MaxPerPage} keys per page.");
        }
        var prefix = Prefix(pluginId);
        var keys = await state.ListKeysAsync(prefix, page * perPage, perPage, cancellationToken);
        return [.. keys.Select(k => Unescape(k[prefix.Length..]))];
    }

    private static string Prefix(string pluginId) => $"plugin:{pluginId}:";

    private static string StateKey(string pluginId, string? key)
    {
        if (string.IsNullOrEmpty(key) || key.EnumerateRunes().Count() > MaxKeyLength)
        {
            throw AppErrorException.BadRequest("model.plugin_key_value.is_valid.key.app_error", $"Invalid key: it must be 1 to {MaxKeyLength} characters long.");
        }
        return Prefix(pluginId) + Escape(key);
    }

    private static JsonElement Encode(byte[] value)
    {
        if (value.Length > MaxValueBytes)
        {
            throw new AppErrorException(413, "model.plugin_key_value.is_valid.value.app_error", $"Invalid value: it is larger than {MaxValueBytes} bytes.");
        }
        return JsonSerializer.SerializeToElement(Convert.ToBase64String(value));
    }

    private static byte[] Decode(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetBytesFromBase64() : [];

    private static TimeSpan? Ttl(long expireInSeconds) => expireInSeconds switch
    {
        < 0 => throw AppErrorException.BadRequest("app.plugin_store.kv_set.expire_in_seconds.app_error", "ExpireInSeconds must be 0 (never) or more."),
        0 => null,
        _ => TimeSpan.FromSeconds(Math.Min(expireInSeconds, (long)TimeSpan.FromDays(3650).TotalSeconds)),
    };

    private static AppErrorException ValueMissing() =>
        AppErrorException.BadRequest("model.plugin_key_value.is_valid.value.app_error", "Invalid value: it is missing.");

    public static string Escape(string key)
    {
        var escaped = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            _ = c switch
            {
                '%' => escaped.Append("%25"),
                '/' => escaped.Append("%2F"),
                '|' => escaped.Append("%7C"),
                _ => escaped.Append(c),
            };
        }
        return escaped.ToString();
    }

    public static string Unescape(string stored) =>
        stored.Replace("%2F", "/", StringComparison.Ordinal).Replace("%7C", "|", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);
}
