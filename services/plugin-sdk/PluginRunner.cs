using System.Reflection;
using System.Text.Json;
using Chat.Plugins.Sdk.Protocol;

namespace Chat.Plugins.Sdk;

/// <summary>
/// The plugin's side of the process boundary: the protocol on stdin/stdout, stray console output moved to stderr
/// (which the node logs), and the process's end when its input ends — when the node deactivates the plugin, or dies.
/// </summary>
internal static class PluginRunner
{
    public static async Task<int> RunAsync(Plugin plugin)
    {
        var protocolOut = Console.OpenStandardOutput();
        var protocolIn = Console.OpenStandardInput();
        // A Console.WriteLine anywhere in the plugin would corrupt the protocol: send it to the log instead.
        Console.SetOut(Console.Error);
        RpcConnection? connection = null;
        connection = new RpcConnection(protocolIn, protocolOut, (method, parameters, cancellationToken) =>
            HandleAsync(plugin, connection!, method, parameters, cancellationToken));
        connection.Start();
        var reason = await connection.Closed;
        if (reason is not null)
        {
            PluginLog.Write("error", "The connection to the node broke", ["error", reason.Message]);
        }
        // Nothing of the plugin may outlive its node: end even if the plugin left foreground threads running.
        Environment.Exit(reason is null ? 0 : 1);
        return 0;
    }

    private static async Task<object?> HandleAsync(Plugin plugin, RpcConnection connection, string method, JsonElement parameters, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case Methods.OnActivate:
                var activate = RpcJson.Read<ActivateParams>(parameters);
                plugin.Attach(new PluginApi(connection, activate.PluginId));
                await plugin.OnActivate(cancellationToken);
                return new ActivateResult([.. Methods.Hooks.Where(hook => Overrides(plugin, hook))]);
            case Methods.OnDeactivate:
                await plugin.OnDeactivate(cancellationToken);
                return null;
            case Methods.Ping:
                return null;
            case Methods.MessageWillBePosted:
                var willBePosted = RpcJson.Read<PostHookParams>(parameters);
                var decision = await plugin.MessageWillBePosted(willBePosted.Context, willBePosted.Post, cancellationToken);
                return new WillBePostedResult(decision.Post, decision.RejectionReason);
            case Methods.MessageHasBeenPosted:
                var posted = RpcJson.Read<PostHookParams>(parameters);
                await plugin.MessageHasBeenPosted(posted.Context, posted.Post, cancellationToken);
                return null;
            case Methods.UserHasJoinedChannel:
                var joined = RpcJson.Read<UserJoinedParams>(parameters);
                await plugin.UserHasJoinedChannel(joined.Context, joined.ChannelMember, joined.Actor, cancellationToken);
                return null;
            case Methods.ServeHttp:
                var http = RpcJson.Read<ServeHttpParams>(parameters);
                return await plugin.ServeHTTP(http.Context, http.Request, cancellationToken);
            default:
                throw new PluginApiException("plugin.rpc.unknown_method", $"Unknown method {method}.", 404);
        }
    }

    private static bool Overrides(Plugin plugin, string hook) =>
        plugin.GetType().GetMethod(hook, BindingFlags.Public | BindingFlags.Instance)?.DeclaringType != typeof(Plugin);
}
