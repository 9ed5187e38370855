using System.Diagnostics;
using Chat.Plugins.Sdk;

namespace Chat.Plugins.Faulty;

/// <summary>
/// A test plugin that misbehaves on request, through MessageWillBePosted: "#crash" kills the process with an
/// unhandled exception, "#hang" never returns (and ignores cancellation), "#freeze" stops the whole process
/// (SIGSTOP: nothing answers any more, pings included). With the setting FailActivation, OnActivate throws.
/// ServeHTTP answers GET /pid and hangs on /hang.
/// </summary>
public sealed class FaultyPlugin : Plugin
{
    public override async Task OnActivate(CancellationToken cancellationToken)
    {
        if ((await API.GetPluginConfig<Settings>(cancellationToken)).FailActivation)
        {
            throw new InvalidOperationException("FailActivation is set");
        }
    }

    public override async Task<PostDecision> MessageWillBePosted(PluginContext context, Post post, CancellationToken cancellationToken)
    {
        if (post.Message.Contains("#crash", StringComparison.Ordinal))
        {
            new Thread(() => throw new InvalidOperationException("faulty plugin crashed on purpose")).Start();
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
        }
        if (post.Message.Contains("#hang", StringComparison.Ordinal))
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
        }
        if (post.Message.Contains("#freeze", StringComparison.Ordinal))
        {
            using var stop = Process.Start("kill", ["-STOP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await stop.WaitForExitAsync(CancellationToken.None);
        }
        return PostDecision.Allow;
    }

    public override async Task<PluginHttpResponse> ServeHTTP(PluginContext context, PluginHttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Path == "/hang")
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
        }
        return request.Path == "/pid" ? PluginHttpResponse.Json(new { pid = Environment.ProcessId }) : PluginHttpResponse.NotFound(context);
    }

    private sealed class Settings
    {
        public bool FailActivation { get; set; }
    }
}
