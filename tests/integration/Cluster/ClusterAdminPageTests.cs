using Chat.Testing;
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
        var dataSource = await cluster.Postgres.CreateDatabaseAsync("cluster_page");
        var nodes = Enumerable.Range(1, 3).Select(i => new ServiceProcess("api", $"api-{i}", cluster.NodeEnvironment(dataSource))).ToList();
        try
        {
            foreach (var node in nodes)
            {
                node.Launch();
            }
            await Task.WhenAll(nodes.Select(n => n.WaitReadyAsync(ServiceProcess.ReadyTimeout)));
            var admin = await cluster.NewUserAsync(nodes[0], "admin");
            await using var edge = await EdgeProxy.StartAsync([.. nodes.Select(n => n.BaseUrl)], []);
            var victim = nodes[1];

            var run = await NodeTestRun.RunAsync(["browser/cluster-admin.test.js"], new Dictionary<string, string>
            {
                ["CHAT_EDGE_URL"] = edge.BaseUrl,
                ["CHAT_ADMIN_LOGIN"] = admin.Username!,
                ["CHAT_ADMIN_PASSWORD"] = ApiClient.DefaultPassword,
                ["CHAT_EXPECTED_NODES"] = string.Join(',', nodes.Select(n => n.Name)),
                ["CHAT_KILL_NODE"] = victim.Name,
                ["CHAT_KILL_PID"] = victim.ProcessId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["CHROMIUM_PATH"] = Chromium,
            }, TimeSpan.FromMinutes(2));
            output.WriteLine(run.ToString());
            Assert.True(run.Passed, $"the admin page test failed: {run}\n{edge.Log}");
            Assert.False(victim.IsRunning);
        }
        finally
        {
            await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
        }
    }
}
