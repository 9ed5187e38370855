using System.Text.Json;
using System.Text.RegularExpressions;
using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Events;
using Chat.Api.Posts;
using Chat.Api.Users;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.Plugins.Hosting;
using Chat.Plugins.Sdk;
using Chat.ServiceDefaults;
using Chat.Store.Postgres;

namespace Chat.Api.Plugins;

/// <summary>
/// The plugin API on an api node: server rights (no permission checks — a plugin is trusted code the admin
/// installed) through the same services and validation as the REST API, within limits.
/// </summary>
public sealed partial class PluginServerApi(
    PluginKeyValueStore kv, PostService posts, UserService userService, UserStore users, ChannelStore channels, ChannelService channelService,
    Outbox outbox, ChatConfig config) : IPluginServerApi
{
    public const int MaxEventPayloadBytes = 64 * 1024;

    public Task KVSetAsync(string pluginId, string key, byte[] value, long expireInSeconds, CancellationToken cancellationToken) =>
        kv.SetAsync(pluginId, key, value, expireInSeconds, cancellationToken);

    public Task<bool> KVSetWithOptionsAsync(string pluginId, string key, byte[]? value, PluginKVSetOptions options, CancellationToken cancellationToken) =>
        kv.SetWithOptionsAsync(pluginId, key, value, options, cancellationToken);

    public Task<byte[]?> KVGetAsync(string pluginId, string key, CancellationToken cancellationToken) => kv.GetAsync(pluginId, key, cancellationToken);

    public Task KVDeleteAsync(string pluginId, string key, CancellationToken cancellationToken) => kv.DeleteAsync(pluginId, key, cancellationToken);

    public Task KVDeleteAllAsync(string pluginId, CancellationToken cancellationToken) => kv.DeleteAllAsync(pluginId, cancellationToken);

    public Task<IReadOnlyList<string>> KVListAsync(string pluginId, int page, int perPage, CancellationToken cancellationToken) =>
        kv.ListAsync(pluginId, page, perPage, cancellationToken);

    public async Task<object> CreatePostAsync(string pluginId, Post post, CancellationToken cancellationToken) =>
        await posts.CreateForPluginAsync(post);

    public async Task<object?> GetUserAsync(string userId, CancellationToken cancellationToken) =>
        await users.GetAsync(Input.Id(userId, "user_id"));

    public async Task<object?> GetUserByUsernameAsync(string username, CancellationToken cancellationToken) =>
        await users.GetByUsernameAsync(Input.Text(username, "username", 1, 64).ToLowerInvariant());

    public async Task<object?> GetChannelAsync(string channelId, CancellationToken cancellationToken) =>
        await channels.GetAsync(Input.Id(channelId, "channel_id"));

    public async Task<object?> GetChannelMemberAsync(string channelId, string userId, CancellationToken cancellationToken) =>
        await channels.GetMemberAsync(Input.Id(channelId, "channel_id"), Input.Id(userId, "user_id"));

    public async Task<object> GetChannelMembersAsync(string channelId, int page, int perPage, CancellationToken cancellationToken)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return await channels.GetMembersAsync(Input.Id(channelId, "channel_id"), p, pp);
    }

    public async Task<object> GetDirectChannelAsync(string userId1, string userId2, CancellationToken cancellationToken)
    {
        var (a, b) = (Input.Id(userId1, "user_id"), Input.Id(userId2, "user_id"));
        var found = await users.GetManyAsync(a == b ? [a] : [a, b]);
        if (found.Count != (a == b ? 1 : 2) || found.Any(u => u.DeleteAt != 0))
        {
            throw AppErrorException.NotFound("User");
        }
        return await channelService.DirectChannelAsync(a, b, a);
    }

    public async Task<string> EnsureBotAsync(string pluginId, string username, string displayName, CancellationToken cancellationToken) =>
        (await userService.EnsureBotAsync(username, displayName)).Id;

    public async Task PublishWebSocketEventAsync(string pluginId, string eventName, Dictionary<string, JsonElement> payload, WebSocketBroadcast broadcast, CancellationToken cancellationToken)
    {
        if (eventName is null || !EventNamePattern().IsMatch(eventName))
        {
            throw AppErrorException.BadRequest("app.plugin.publish_websocket_event.event.app_error", "An event name must be 1 to 64 letters, digits, '_', '-' or '.'.");
        }
        if (JsonSerializer.SerializeToUtf8Bytes(payload).Length > MaxEventPayloadBytes)
        {
            throw new AppErrorException(413, "app.plugin.publish_websocket_event.payload.app_error", $"An event's payload must be at most {MaxEventPayloadBytes} bytes.");
        }
        string OptionalId(string? id, string name) => string.IsNullOrEmpty(id) ? "" : Input.Id(id, name);
        var omit = broadcast.OmitUsers;
        if (omit is { Count: > 1000 } || omit?.Keys.Any(id => !Chat.Store.Model.Ids.IsValid(id)) == true)
        {
            throw AppErrorException.InvalidParam("omit_users");
        }
        var e = WebSocketEvents.Custom.Create(pluginId, eventName, payload,
            OptionalId(broadcast.UserId, "user_id"), OptionalId(broadcast.ChannelId, "channel_id"), OptionalId(broadcast.TeamId, "team_id"), omit);
        // Through the outbox: the realtime nodes read the event log, whatever the building blocks' provider.
        await outbox.WriteAsync(_ => Task.FromResult(true), _ => [e]);
    }

    public JsonElement GetPluginConfig(string pluginId)
    {
        var settings = config.PluginSettings.Plugins
            .FirstOrDefault(p => string.Equals(p.Key, pluginId, StringComparison.OrdinalIgnoreCase)).Value;
        return JsonSerializer.SerializeToElement(settings ?? []);
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex EventNamePattern();
}
