using System.Diagnostics;
using Chat.Plugins.Sdk;
using Chat.Store.Model;

namespace Chat.Api.Plugins;

/// <summary>What hooks learn about the request behind them.</summary>
public static class PluginCalls
{
    /// <summary>The caller's session and, while the node traces, the request's trace id (its X-Request-Id).</summary>
    public static PluginContext Context(Session caller) => new()
    {
        SessionId = caller.Id,
        RequestId = Activity.Current?.TraceId.ToHexString() ?? "",
    };
}
