using System.Text.Json;
using Chat.Plugins.Sdk;

namespace Chat.Plugins.Hosting;

/// <summary>
/// The server's side of the plugin API, implemented by the service that hosts plugins. Every call names the plugin
/// that made it; the implementation executes it with server rights (no permission checks) but within limits, and
/// refuses bad input with an <c>AppErrorException</c> (passed to the plugin as a <see cref="PluginApiException"/>).
/// Results are sent to the plugin in Mattermost's JSON shape (snake_case), so they may be the server's own models;
/// lookups of something that does not exist return null.
/// </summary>
public interface IPluginServerApi
{
    Task KVSetAsync(string pluginId, string key, byte[] value, long expireInSeconds, CancellationToken cancellationToken);

    Task<bool> KVSetWithOptionsAsync(string pluginId, string key, byte[]? value, PluginKVSetOptions options, CancellationToken cancellationToken);

    Task<byte[]?> KVGetAsync(string pluginId, string key, CancellationToken cancellationToken);

    Task KVDeleteAsync(string pluginId, string key, CancellationToken cancellationToken);

    Task KVDeleteAllAsync(string pluginId, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> KVListAsync(string pluginId, int page, int perPage, CancellationToken cancellationToken);

    Task<object> CreatePostAsync(string pluginId, Post post, CancellationToken cancellationToken);

    Task<object?> GetUserAsync(string userId, CancellationToken cancellationToken);

    Task<object?> GetUserByUsernameAsync(string username, CancellationToken cancellationToken);

    Task<object?> GetChannelAsync(string channelId, CancellationToken cancellationToken);

    Task<object?> GetChannelMemberAsync(string channelId, string userId, CancellationToken cancellationToken);

    Task<object> GetChannelMembersAsync(string channelId, int page, int perPage, CancellationToken cancellationToken);

    Task<object> GetDirectChannelAsync(string userId1, string userId2, CancellationToken cancellationToken);

    Task<string> EnsureBotAsync(string pluginId, string username, string displayName, CancellationToken cancellationToken);

    Task PublishWebSocketEventAsync(string pluginId, string eventName, Dictionary<string, JsonElement> payload, WebSocketBroadcast broadcast, CancellationToken cancellationToken);

    JsonElement GetPluginConfig(string pluginId);
}
