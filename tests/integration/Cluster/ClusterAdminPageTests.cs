using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// The admin page /admin/cluster in a real headless Chromium (Debian's package, driven by playwright-core) through
/// the nginx edge: tests/js/browser/cluster-admin.test.js signs in, sees every node green, SIGKILLs one and sees it
/// turn red within 10 s.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterAdminPageTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_admin_page_signs_in_lists_the_nodes_and_shows_a_SIGKILLed_node_down_within_10_s()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (tests/run does).");
        await using var page = await TestCluster.Create("cluster_page").OnServer(cluster.Postgres).WithApi(3).StartingAllAtOnce().WithEdge().StartAsync();
        var victim = page.Api[1];

        var run = await NodeTestRun.RunAsync(["browser/cluster-admin.test.js"], new Dictionary<string, string>
        {
            ["CHAT_EDGE_URL"] = page.Edge.BaseUrl,
            ["CHAT_ADMIN_LOGIN"] = page.Admin.Username!,
            ["CHAT_ADMIN_PASSWORD"] = ApiClient.DefaultPassword,
            ["CHAT_EXPECTED_NODES"] = string.Join(',', page.Api.Select(n => n.Name)),
            ["CHAT_KILL_NODE"] = victim.Name,
            ["CHAT_KILL_PID"] = victim.ProcessId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CHROMIUM_PATH"] = Chromium,
        }, TimeSpan.FromMinutes(2));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the admin page test failed: {run}\n{page.Edge.Log}");
        Assert.False(victim.IsRunning);
    }
}
