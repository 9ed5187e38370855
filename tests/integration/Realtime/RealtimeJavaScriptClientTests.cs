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
        var run = await NodeTestRun.RunAsync(["test/websocket.test.js", "test/signalr.test.js"], new Dictionary<string, string>
        {
            ["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}",
            ["CHAT_REALTIME_URLS"] = $"{cluster.Realtime1.BaseUrl},{cluster.Realtime2.BaseUrl}",
        }, TimeSpan.FromMinutes(3));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the WebSocket client suite failed: {run}");
        Assert.Contains("# pass 4", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// The web app's first session (tests/js/test/webapp-session.test.js, mattermost-redux over Client4) with a socket
    /// on the realtime nodes, so its flow on the posted event's mentions and multiple_channels_viewed runs too.
    /// </summary>
    [Fact]
    public async Task The_web_apps_session_receives_the_posted_events_mentions_and_its_read_state_changes()
    {
        await cluster.EnsureRunningAsync(cluster.Realtime1);
        await cluster.EnsureRunningAsync(cluster.Realtime2);
        var run = await NodeTestRun.RunAsync(["test/webapp-session.test.js"], new Dictionary<string, string>
        {
            ["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}",
            ["CHAT_REALTIME_URLS"] = $"{cluster.Realtime1.BaseUrl},{cluster.Realtime2.BaseUrl}",
        }, TimeSpan.FromMinutes(3));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the web app session suite failed: {run}");
        Assert.Contains("# skipped 0", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("# todo 0", run.Stdout, StringComparison.Ordinal);
    }
}
