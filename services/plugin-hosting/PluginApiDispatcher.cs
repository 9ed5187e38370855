using System.Text.Json;
using Chat.Plugins.Sdk;
using Chat.Plugins.Sdk.Protocol;
using Chat.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Chat.Plugins.Hosting;

/// <summary>
/// Turns a plugin's API requests into calls of <see cref="IPluginServerApi"/>, and the server's refusals into errors
/// the plugin sees: an AppError keeps its id, message and status; anything unexpected is logged here and reaches
/// the plugin only as "internal error".
/// </summary>
public sealed partial class PluginApiDispatcher(IPluginServerApi api, ILogger<PluginApiDispatcher> logger)
{
    internal async Task<object?> HandleAsync(string pluginId, string method, JsonElement parameters, CancellationToken cancellationToken)
    {
        try
        {
            return await DispatchAsync(pluginId, method, parameters, cancellationToken);
        }
        catch (AppErrorException e)
        {
            throw new PluginApiException(e.Id, e.Message, e.StatusCode);
        }
        catch (Exception e) when (e is JsonException or PluginApiException { Id: "plugin.rpc.bad_message" })
        {
            throw new PluginApiException("plugin.api.bad_request", $"Invalid parameters for {method}: {e.Message}", 400);
        }
        catch (Exception e) when (e is not (PluginApiException or OperationCanceledException))
        {
            LogApiFailed(e, pluginId, method);
            throw new PluginApiException("plugin.api.internal_error", $"{method} failed on the server.", 500);
        }
    }

    private async Task<object?> DispatchAsync(string pluginId, string method, JsonElement parameters, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case Methods.KVSet:
                var set = Read<KVSetParams>(parameters);
                await api.KVSetAsync(pluginId, set.Key, set.Value, set.ExpireInSeconds, cancellationToken);
                return null;
            case Methods.KVSetWithOptions:
                var options = Read<KVSetWithOptionsParams>(parameters);
                return await api.KVSetWithOptionsAsync(pluginId, options.Key, options.Value, options.Options, cancellationToken);
            case Methods.KVGet:
                return new KVGetResult(await api.KVGetAsync(pluginId, Read<KVKeyParams>(parameters).Key, cancellationToken));
            case Methods.KVDelete:
                await api.KVDeleteAsync(pluginId, Read<KVKeyParams>(parameters).Key, cancellationToken);
                return null;
            case Methods.KVDeleteAll:
                await api.KVDeleteAllAsync(pluginId, cancellationToken);
                return null;
            case Methods.KVList:
                var page = Read<PageParams>(parameters);
                return await api.KVListAsync(pluginId, page.Page, page.PerPage, cancellationToken);
            case Methods.CreatePost:
                return await api.CreatePostAsync(pluginId, Read<CreatePostParams>(parameters).Post, cancellationToken);
            case Methods.GetUser:
                return await api.GetUserAsync(Read<IdParams>(parameters).Id, cancellationToken);
            case Methods.GetUserByUsername:
                return await api.GetUserByUsernameAsync(Read<UsernameParams>(parameters).Username, cancellationToken);
            case Methods.GetChannel:
                return await api.GetChannelAsync(Read<IdParams>(parameters).Id, cancellationToken);
            case Methods.GetChannelMember:
                var member = Read<ChannelMemberParams>(parameters);
                return await api.GetChannelMemberAsync(member.ChannelId, member.UserId, cancellationToken);
            case Methods.GetChannelMembers:
                var members = Read<ChannelMembersParams>(parameters);
                return await api.GetChannelMembersAsync(members.ChannelId, members.Page, members.PerPage, cancellationToken);
            case Methods.GetDirectChannel:
                var direct = Read<DirectChannelParams>(parameters);
                return await api.GetDirectChannelAsync(direct.UserId1, direct.UserId2, cancellationToken);
            case Methods.EnsureBot:
                var bot = Read<EnsureBotParams>(parameters);
                return await api.EnsureBotAsync(pluginId, bot.Username, bot.DisplayName, cancellationToken);
            case Methods.PublishWebSocketEvent:
                var e = Read<WebSocketEventParams>(parameters);
                await api.PublishWebSocketEventAsync(pluginId, e.Event, e.Payload ?? [], e.Broadcast ?? new WebSocketBroadcast(), cancellationToken);
                return null;
            case Methods.GetPluginConfig:
                return api.GetPluginConfig(pluginId);
            default:
                throw new PluginApiException("plugin.api.unknown_method", $"The server has no API method {method}.", 404);
        }
    }

    private static T Read<T>(JsonElement parameters) => RpcJson.Read<T>(parameters);

    [LoggerMessage(LogLevel.Error, "Plugin {PluginId}: API call {Method} failed")]
    private partial void LogApiFailed(Exception e, string pluginId, string method);
}
