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
        await using var edge = await cluster.Cluster.StartEdgeAsync([cluster.Api1, cluster.Api2]);
        // What `npm test` runs: every suite under test/ (the realtime ones skip themselves without realtime nodes).
        var files = Directory.GetFiles(Path.Combine(NodeTestRun.JsDirectory, "test"), "*.test.js")
            .Select(f => Path.GetRelativePath(NodeTestRun.JsDirectory, f))
            .Order(StringComparer.Ordinal);
        var run = await NodeTestRun.RunAsync(files, new Dictionary<string, string>
        {
            ["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}",
            ["CHAT_EDGE_URL"] = edge.BaseUrl,
        }, TimeSpan.FromMinutes(5));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the JavaScript client suite failed: {run}\n{edge.Log}");
    }
}
