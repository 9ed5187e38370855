using System.Text.Json;
using Chat.Plugins.Sdk.Protocol;

namespace Chat.Plugins.Sdk;

/// <summary>
/// The server API a plugin calls (Mattermost's plugin API), each call a request to the node that runs the plugin.
/// The node executes it with server rights (no permission checks: the plugin decides who may do what) within limits:
/// KV keys of 1 to 150 characters, values of at most 1 MiB. Failures raise <see cref="PluginApiException"/>.
/// Lookups of something that does not exist return null.
/// </summary>
public sealed class PluginApi
{
    private static readonly JsonSerializerOptions ConfigJson = new(JsonSerializerDefaults.Web);
    private readonly RpcConnection connection;

    internal PluginApi(RpcConnection connection, string pluginId)
    {
        this.connection = connection;
        PluginId = pluginId;
    }

    /// <summary>The id this plugin runs under (its manifest's id).</summary>
    public string PluginId { get; }

    // Key-value store: shared by every node, private to this plugin.

    public Task KVSet(string key, byte[] value, CancellationToken cancellationToken = default) =>
        CallAsync(Methods.KVSet, new KVSetParams(key, value, 0), cancellationToken);

    /// <summary>Sets the key so that it expires after <paramref name="expireInSeconds"/> (0: never).</summary>
    public Task KVSetWithExpiry(string key, byte[] value, long expireInSeconds, CancellationToken cancellationToken = default) =>
        CallAsync(Methods.KVSet, new KVSetParams(key, value, expireInSeconds), cancellationToken);

    /// <summary>
    /// Mattermost's KVSetWithOptions: with <see cref="PluginKVSetOptions.Atomic"/> a compare-and-set against
    /// <see cref="PluginKVSetOptions.OldValue"/> (null: the key must be absent); a null <paramref name="value"/>
    /// deletes. Returns whether the write happened.
    /// </summary>
    public async Task<bool> KVSetWithOptions(string key, byte[]? value, PluginKVSetOptions options, CancellationToken cancellationToken = default) =>
        (await CallAsync(Methods.KVSetWithOptions, new KVSetWithOptionsParams(key, value, options), cancellationToken)).GetBoolean();

    /// <summary>The value, or null when the key is absent or expired.</summary>
    public async Task<byte[]?> KVGet(string key, CancellationToken cancellationToken = default) =>
        RpcJson.Read<KVGetResult>(await CallAsync(Methods.KVGet, new KVKeyParams(key), cancellationToken)).Value;

    public Task KVDelete(string key, CancellationToken cancellationToken = default) =>
        CallAsync(Methods.KVDelete, new KVKeyParams(key), cancellationToken);

    /// <summary>Deletes every key of this plugin.</summary>
    public Task KVDeleteAll(CancellationToken cancellationToken = default) =>
        CallAsync(Methods.KVDeleteAll, new { }, cancellationToken);

    /// <summary>This plugin's keys in ordinal order, a page at a time (at most 1000 per page).</summary>
    public async Task<IReadOnlyList<string>> KVList(int page, int perPage, CancellationToken cancellationToken = default) =>
        RpcJson.Read<string[]>(await CallAsync(Methods.KVList, new PageParams(page, perPage), cancellationToken));

    /// <summary>Stores <paramref name="value"/> as JSON (snake_case names).</summary>
    public Task KVSetJson<T>(string key, T value, long expireInSeconds = 0, CancellationToken cancellationToken = default) =>
        KVSetWithExpiry(key, JsonSerializer.SerializeToUtf8Bytes(value, RpcJson.Options), expireInSeconds, cancellationToken);

    /// <summary>Reads a JSON value; default when the key is absent.</summary>
    public async Task<T?> KVGetJson<T>(string key, CancellationToken cancellationToken = default) =>
        await KVGet(key, cancellationToken) is { } bytes ? JsonSerializer.Deserialize<T>(bytes, RpcJson.Options) : default;

    /// <summary>
    /// Read-modify-write of a JSON value as a compare-and-set loop, safe against every other node doing the same:
    /// <paramref name="update"/> gets the current value (default when absent) and returns the new one (default:
    /// delete); it may run several times. Returns the value written.
    /// </summary>
    public async Task<T?> KVUpdateJson<T>(string key, Func<T?, T?> update, long expireInSeconds = 0, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await KVGet(key, cancellationToken);
            var next = update(current is null ? default : JsonSerializer.Deserialize<T>(current, RpcJson.Options));
            var bytes = next is null ? null : JsonSerializer.SerializeToUtf8Bytes(next, RpcJson.Options);
            if (current is null && bytes is null)
            {
                return next;
            }
            var options = new PluginKVSetOptions { Atomic = true, OldValue = current, ExpireInSeconds = expireInSeconds };
            if (await KVSetWithOptions(key, bytes, options, cancellationToken))
            {
                return next;
            }
            // Someone else wrote first: back off a little (more with every lost race) and read again.
            await Task.Delay(Random.Shared.Next(0, Math.Min(50, 2 + attempt * 5)), cancellationToken);
        }
    }

    // Posts, users and channels.

    /// <summary>Creates a post as <see cref="Post.UserId"/> (e.g. the plugin's bot), running every plugin's hooks as for any post.</summary>
    public async Task<Post> CreatePost(Post post, CancellationToken cancellationToken = default) =>
        RpcJson.Read<Post>(await CallAsync(Methods.CreatePost, new CreatePostParams(post), cancellationToken));

    public Task<User?> GetUser(string userId, CancellationToken cancellationToken = default) =>
        ReadOrNull<User>(Methods.GetUser, new IdParams(userId), cancellationToken);

    public Task<User?> GetUserByUsername(string username, CancellationToken cancellationToken = default) =>
        ReadOrNull<User>(Methods.GetUserByUsername, new UsernameParams(username), cancellationToken);

    public Task<Channel?> GetChannel(string channelId, CancellationToken cancellationToken = default) =>
        ReadOrNull<Channel>(Methods.GetChannel, new IdParams(channelId), cancellationToken);

    /// <summary>The user's membership of the channel, or null when they are not a member.</summary>
    public Task<ChannelMember?> GetChannelMember(string channelId, string userId, CancellationToken cancellationToken = default) =>
        ReadOrNull<ChannelMember>(Methods.GetChannelMember, new ChannelMemberParams(channelId, userId), cancellationToken);

    /// <summary>A page of the channel's members (at most 200 per page).</summary>
    public async Task<IReadOnlyList<ChannelMember>> GetChannelMembers(string channelId, int page, int perPage, CancellationToken cancellationToken = default) =>
        RpcJson.Read<ChannelMember[]>(await CallAsync(Methods.GetChannelMembers, new ChannelMembersParams(channelId, page, perPage), cancellationToken));

    /// <summary>The direct channel of two users, created on first use.</summary>
    public async Task<Channel> GetDirectChannel(string userId1, string userId2, CancellationToken cancellationToken = default) =>
        RpcJson.Read<Channel>(await CallAsync(Methods.GetDirectChannel, new DirectChannelParams(userId1, userId2), cancellationToken));

    /// <summary>
    /// The user id of the bot account named <paramref name="username"/>, created on first use (by whichever node
    /// gets there first; the others find it). Bots never become the system's first admin and cannot log in.
    /// </summary>
    public async Task<string> EnsureBot(string username, string displayName, CancellationToken cancellationToken = default) =>
        (await CallAsync(Methods.EnsureBot, new EnsureBotParams(username, displayName), cancellationToken)).GetString()!;

    /// <summary>
    /// Sends a WebSocket event named <c>custom_{plugin id}_{event}</c> to the clients <paramref name="broadcast"/>
    /// names, through every realtime node (recorded in the cluster's event log, like the server's own events).
    /// </summary>
    public Task PublishWebSocketEvent(string @event, IReadOnlyDictionary<string, object?> payload, WebSocketBroadcast broadcast, CancellationToken cancellationToken = default) =>
        CallAsync(Methods.PublishWebSocketEvent, new WebSocketEventParams(@event,
            payload.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value, RpcJson.Options)), broadcast), cancellationToken);

    // Settings and logging.

    /// <summary>This plugin's settings: <c>PluginSettings.Plugins.{plugin id}</c> of the server configuration (an empty object if unset).</summary>
    public Task<JsonElement> GetPluginConfig(CancellationToken cancellationToken = default) =>
        CallAsync(Methods.GetPluginConfig, new { }, cancellationToken);

    /// <summary>The settings bound to <typeparamref name="T"/>, names matched case-insensitively.</summary>
    public async Task<T> GetPluginConfig<T>(CancellationToken cancellationToken = default) where T : new() =>
        (await GetPluginConfig(cancellationToken)).Deserialize<T>(ConfigJson) ?? new T();

    /// <summary>Logs through the node's structured log; <paramref name="keyValuePairs"/> alternate names and values.</summary>
    public void LogDebug(string message, params object?[] keyValuePairs) => PluginLog.Write("debug", message, keyValuePairs);

    public void LogInfo(string message, params object?[] keyValuePairs) => PluginLog.Write("info", message, keyValuePairs);

    public void LogWarn(string message, params object?[] keyValuePairs) => PluginLog.Write("warn", message, keyValuePairs);

    public void LogError(string message, params object?[] keyValuePairs) => PluginLog.Write("error", message, keyValuePairs);

    private Task<JsonElement> CallAsync(string method, object parameters, CancellationToken cancellationToken) =>
        connection.CallAsync(method, parameters, cancellationToken);

    private async Task<T?> ReadOrNull<T>(string method, object parameters, CancellationToken cancellationToken) where T : class
    {
        var result = await CallAsync(method, parameters, cancellationToken);
        return result.ValueKind == JsonValueKind.Null || result.ValueKind == JsonValueKind.Undefined ? null : RpcJson.Read<T>(result);
    }
}
