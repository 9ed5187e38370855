using System.Diagnostics;
using Chat.Testing;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// The official Mattermost JavaScript client (@mattermost/client's Client4, unchanged) against both api nodes and
/// the nginx edge in front of them: the suite in tests/js, run by Node's test runner.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JavaScriptClientTests(ClusterFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Official_client_works_across_nodes_and_through_the_edge()
    {
        var js = Path.Combine(Repository.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(js, "node_modules", "@mattermost", "client")),
            "tests/js/node_modules is missing: run `npm ci` in tests/js (tests/run does).");
        await using var edge = await EdgeProxy.StartAsync([cluster.Api1.BaseUrl, cluster.Api2.BaseUrl], []);

        var start = new ProcessStartInfo("npm") { WorkingDirectory = js, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("test");
        start.Environment["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}";
        start.Environment["CHAT_EDGE_URL"] = edge.BaseUrl;
        using var npm = Process.Start(start)!;
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await npm.WaitForExitAsync(timeout.Token);
        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        Assert.True(npm.ExitCode == 0, $"the JavaScript client suite failed (exit {npm.ExitCode}):\n{await stdout}\n{await stderr}\n{edge.Log}");
    }
}
