using System.Diagnostics;
using Chat.Testing;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// The official Mattermost WebSocketClient (@mattermost/client, unchanged) and the SignalR JavaScript client against
/// the realtime nodes, with changes made through the api nodes: tests/js/test/websocket.test.js and signalr.test.js,
/// run by Node's test runner.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class RealtimeJavaScriptClientTests(RealtimeFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Official_clients_get_posts_and_typing_across_nodes_and_resume_on_the_other_node()
    {
        await cluster.EnsureRunningAsync(cluster.Realtime1);
        await cluster.EnsureRunningAsync(cluster.Realtime2);
        var js = Path.Combine(Repository.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(js, "node_modules", "@mattermost", "client")),
            "tests/js/node_modules is missing: run `npm ci` in tests/js (tests/run does).");

        var start = new ProcessStartInfo("node") { WorkingDirectory = js, RedirectStandardOutput = true, RedirectStandardError = true };
        // Node.js 20 has a global WebSocket only behind this flag (22 has it by default).
        if (await NodeEvalAsync("process.stdout.write(typeof WebSocket)") != "function")
        {
            start.ArgumentList.Add("--experimental-websocket");
        }
        start.ArgumentList.Add("--test");
        start.ArgumentList.Add("test/websocket.test.js");
        start.ArgumentList.Add("test/signalr.test.js");
        start.Environment["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}";
        start.Environment["CHAT_REALTIME_URLS"] = $"{cluster.Realtime1.BaseUrl},{cluster.Realtime2.BaseUrl}";
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await node.WaitForExitAsync(timeout.Token);
        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        Assert.True(node.ExitCode == 0, $"the WebSocket client suite failed (exit {node.ExitCode}):\n{await stdout}\n{await stderr}");
        Assert.Contains("# pass 4", await stdout, StringComparison.Ordinal);
    }

    private static async Task<string> NodeEvalAsync(string script)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(script);
        using var node = Process.Start(start)!;
        var text = await node.StandardOutput.ReadToEndAsync();
        await node.WaitForExitAsync();
        return text.Trim();
    }
}
