using System.Text.Json;
using Chat.Plugins.Sdk;
using Chat.Plugins.Sdk.Protocol;
using Microsoft.Extensions.Logging;

namespace Chat.Plugins.Hosting;

/// <summary>
/// How the server calls the plugins' hooks on this node. Every call has the hook timeout; a plugin that fails or
/// times out is skipped (and, after a timeout, health-checked at once), so a broken plugin never blocks the server.
/// With no plugin implementing a hook, a call costs nothing.
/// </summary>
public sealed partial class PluginHooks(PluginRuntime runtime, ILogger<PluginHooks> logger)
{
    /// <summary>
    /// MessageWillBePosted of every running plugin that implements it, in plugin id order, each seeing the previous
    /// one's changes. Returns the post to store, or the first rejection's reason.
    /// </summary>
    public async Task<(Post Post, string? RejectionReason)> MessageWillBePostedAsync(PluginContext context, Post post)
    {
        foreach (var plugin in runtime.Implementing(Methods.MessageWillBePosted))
        {
            try
            {
                var result = RpcJson.Read<WillBePostedResult>(await plugin.CallAsync(
                    Methods.MessageWillBePosted, new PostHookParams(context, post), runtime.Options.HookTimeout, CancellationToken.None));
                if (result.RejectionReason is { Length: > 0 } reason)
                {
                    return (post, reason);
                }
                post = result.Post ?? post;
            }
            catch (Exception e) when (e is TimeoutException or PluginApiException or JsonException)
            {
                LogHookFailed(plugin.PluginId, Methods.MessageWillBePosted, e.Message);
            }
        }
        return (post, null);
    }

    /// <summary>MessageHasBeenPosted of every plugin that implements it, in the background (the caller does not wait).</summary>
    public void MessageHasBeenPosted(PluginContext context, Post post) =>
        Notify(Methods.MessageHasBeenPosted, new PostHookParams(context, post));

    /// <summary>UserHasJoinedChannel of every plugin that implements it, in the background.</summary>
    public void UserHasJoinedChannel(PluginContext context, ChannelMember member, User? actor) =>
        Notify(Methods.UserHasJoinedChannel, new UserJoinedParams(context, member, actor));

    /// <summary>True when a running plugin implements the hook: callers may skip preparing its arguments otherwise.</summary>
    public bool AnyImplements(string hook) => runtime.Implementing(hook).Count > 0;

    /// <summary>The plugin's answer to an HTTP request, or null when the plugin is not running (or serves no HTTP).</summary>
    /// <exception cref="TimeoutException">The plugin did not answer within the hook timeout.</exception>
    /// <exception cref="PluginApiException">The plugin failed to answer (its ServeHTTP threw, or it died).</exception>
    public async Task<PluginHttpResponse?> ServeHttpAsync(string pluginId, PluginContext context, PluginHttpRequest request, CancellationToken cancellationToken)
    {
        if (runtime.Running(pluginId) is not { } plugin || !plugin.Hooks.Contains(Methods.ServeHttp))
        {
            return null;
        }
        var result = await plugin.CallAsync(Methods.ServeHttp, new ServeHttpParams(context, request), runtime.Options.HookTimeout, cancellationToken);
        return RpcJson.Read<PluginHttpResponse>(result);
    }

    /// <summary>A server model in the plugins' shape (both are Mattermost's JSON).</summary>
    public static T ToPluginModel<T>(object value) =>
        JsonSerializer.SerializeToElement(value, value.GetType(), RpcJson.Options).Deserialize<T>(RpcJson.Options)!;

    private void Notify(string hook, object parameters)
    {
        foreach (var plugin in runtime.Implementing(hook))
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await plugin.CallAsync(hook, parameters, runtime.Options.HookTimeout, CancellationToken.None);
                }
                catch (Exception e) when (e is TimeoutException or PluginApiException)
                {
                    LogHookFailed(plugin.PluginId, hook, e.Message);
                }
            });
        }
    }

    public static class Names
    {
        public const string MessageWillBePosted = Methods.MessageWillBePosted;
        public const string MessageHasBeenPosted = Methods.MessageHasBeenPosted;
        public const string UserHasJoinedChannel = Methods.UserHasJoinedChannel;
    }

    [LoggerMessage(LogLevel.Warning, "Plugin {PluginId}: {Hook} failed: {Error}")]
    private partial void LogHookFailed(string pluginId, string hook, string error);
}
