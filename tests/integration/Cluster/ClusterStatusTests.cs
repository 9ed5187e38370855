using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// Cluster discovery and GET /api/v4/cluster/status: nodes of every service register and heartbeat in
/// cluster_discovery; a SIGKILLed node is reported down within 10 s while the edge keeps GETs succeeding; differing
/// configuration or version is flagged; a node too old for the schema refuses to start. Each test runs its own nodes
/// on a database of its own, so statuses never mix with other tests' nodes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterStatusTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan DownWithin = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Nodes_of_every_service_started_at_once_all_register_and_only_system_admins_see_them()
    {
        await using var nodes = await TestCluster.Create("cluster_shape").OnServer(cluster.Postgres)
            .WithApi(3).WithRealtime().WithJobs().StartingAllAtOnce().StartAsync();
        var api = nodes.Api[0];
        var admin = nodes.Admin;
        var user = await nodes.NewUserAsync(api, "plain");

        (await cluster.Anonymous(api).GetAsync("/api/v4/cluster/status")).Expect(401);
        var forbidden = (await user.GetAsync("/api/v4/cluster/status")).Expect(403);
        Assert.Equal("api.context.permissions.app_error", (string)forbidden.Json["id"]!);

        var status = await StatusAsync(admin);
        Assert.Equal(["api-1", "api-2", "api-3", "jobs-1", "realtime-1"], status.Select(n => (string)n["hostname"]!).Order(StringComparer.Ordinal));
        foreach (var node in status)
        {
            var hostname = (string)node["hostname"]!;
            var process = nodes.Node(hostname);
            Assert.Equal(["id", "version", "schema_version", "config_hash", "ipaddress", "hostname", "service", "status", "last_ping_at", "is_leader"],
                node.AsObject().Select(p => p.Key));
            Assert.Matches("^[0-9a-v]{26}$", (string)node["id"]!);
            Assert.Equal(hostname.Split('-')[0], (string)node["service"]!);
            Assert.Equal("ok", (string)node["status"]!);
            Assert.Equal($"127.0.0.1:{process.Port}", (string)node["ipaddress"]!);
            Assert.Matches(@"^\d+\.\d+\.\d+", (string)node["version"]!);
            Assert.Matches("^[0-9]+$", (string)node["schema_version"]!);
            Assert.Matches("^[0-9a-f]{32}$", (string)node["config_hash"]!);
            // Only the jobs scheduler has a leader (JobsTests check the election).
            if (hostname != "jobs-1")
            {
                Assert.False((bool)node["is_leader"]!);
            }
            var age = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)node["last_ping_at"]!;
            Assert.InRange(age, -5_000, 5_000);
        }
        // All run against the one database schema.
        Assert.Single(status.Select(n => (string)n["schema_version"]!).Distinct());

        // Any api node gives the same answer; the ids are those of five distinct processes.
        var fromOther = await StatusAsync(admin.On(nodes.Api[2].BaseUrl));
        Assert.Equal(status.Select(n => (string)n["id"]!), fromOther.Select(n => (string)n["id"]!));
        Assert.Equal(5, status.Select(n => (string)n["id"]!).Distinct().Count());

        // A graceful stop takes the node off the list at once.
        var jobs = nodes.Node("jobs-1");
        Assert.Equal(0, await jobs.StopAsync());
        Assert.DoesNotContain(await StatusAsync(admin), n => (string)n["hostname"]! == "jobs-1");
    }

    [Fact]
    public async Task A_SIGKILLed_api_node_is_reported_down_within_10_s_while_GETs_through_the_edge_all_succeed()
    {
        await using var nodes = await TestCluster.Create("cluster_kill").OnServer(cluster.Postgres).WithApi(3).StartingAllAtOnce().WithEdge().StartAsync();
        var (victim, admin, edge) = (nodes.Api[2], nodes.Admin, nodes.Edge);
        Assert.All(await StatusAsync(admin), n => Assert.Equal("ok", (string)n["status"]!));

        using var load = new GetLoad(edge.BaseUrl, admin.Token!, workers: 4);
        await Task.Delay(1000);
        var killed = Stopwatch.StartNew();
        victim.Kill();
        TimeSpan detected;
        while (true)
        {
            var entry = (await StatusAsync(admin)).Single(n => (string)n["hostname"]! == victim.Name);
            if ((string)entry["status"]! == "down")
            {
                detected = killed.Elapsed;
                break;
            }
            Assert.True(killed.Elapsed < DownWithin, $"{victim.Name} was still '{entry["status"]}' {killed.Elapsed.TotalSeconds:F1} s after SIGKILL");
            await Task.Delay(100);
        }
        // Past the edge's fail_timeout (5 s), so nginx also probes the dead node again under load.
        var rest = TimeSpan.FromSeconds(6) - killed.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }
        var (sent, failed, failures, duration) = await load.StopAsync();

        output.WriteLine($"node-down detection: {detected.TotalSeconds:F2} s after SIGKILL (heartbeat 1 s, down after 5 s)");
        output.WriteLine($"GETs through the edge during the kill: {sent} sent, {failed} failed (over {duration.TotalSeconds:F1} s, {sent / duration.TotalSeconds:F0}/s from 4 workers)");
        Assert.InRange(detected, TimeSpan.Zero, DownWithin);
        Assert.True(failed == 0, $"{failed} of {sent} GETs failed through the edge:\n{string.Join('\n', failures.Take(10))}\n{edge.Log}");
        Assert.True(sent > 100, $"only {sent} GETs were sent");
        // The others stay ok throughout.
        Assert.All((await StatusAsync(admin)).Where(n => (string)n["hostname"]! != victim.Name), n => Assert.Equal("ok", (string)n["status"]!));
    }

    [Fact]
    public async Task A_node_with_a_different_setting_shows_config_mismatch()
    {
        await using var nodes = await TestCluster.Create("cluster_config").OnServer(cluster.Postgres)
            .WithApi(2)
            .WithNode("realtime", "realtime-odd", new Dictionary<string, string> { ["MM_TEAMSETTINGS_MAXUSERSPERTEAM"] = "77" })
            .StartingAllAtOnce()
            .StartAsync();

        var status = await StatusAsync(nodes.Admin);
        Assert.Equal("config_mismatch", StatusOf(status, "realtime-odd"));
        Assert.Equal("ok", StatusOf(status, "api-1"));
        Assert.Equal("ok", StatusOf(status, "api-2"));
        Assert.NotEqual(ConfigHashOf(status, "api-1"), ConfigHashOf(status, "realtime-odd"));
        // Per-node settings (ClusterSettings, the listen address) are not configuration differences.
        Assert.Equal(ConfigHashOf(status, "api-1"), ConfigHashOf(status, "api-2"));
    }

    [Fact]
    public async Task Nodes_one_minor_version_apart_run_together_and_the_odd_one_shows_version_mismatch()
    {
        // The newer node first: the schema then records it, and older nodes of the previous minor may still start.
        await using var nodes = await TestCluster.Create("cluster_version").OnServer(cluster.Postgres)
            .WithNode("api", "api-new", new Dictionary<string, string> { ["CHAT_VERSION_OVERRIDE"] = NextMinor(await CurrentVersionAsync()) })
            .WithoutAdmin()
            .StartAsync();
        var olds = await Task.WhenAll(nodes.AddNodeAsync("api", "api-old-1"), nodes.AddNodeAsync("api", "api-old-2"));
        var admin = await nodes.NewUserAsync(olds[0], "admin");

        var status = await StatusAsync(admin);
        Assert.Equal("version_mismatch", StatusOf(status, "api-new"));
        Assert.Equal("ok", StatusOf(status, "api-old-1"));
        Assert.Equal("ok", StatusOf(status, "api-old-2"));
        // The same code serves both versions' clients meanwhile.
        (await admin.On(nodes.Node("api-new").BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);
    }

    [Fact]
    public async Task A_node_older_than_the_schema_supports_refuses_to_start_with_a_clear_message()
    {
        var current = await CurrentVersionAsync();
        var twoAhead = NextMinor(NextMinor(current));
        await using var nodes = await TestCluster.Create("cluster_skew").OnServer(cluster.Postgres)
            .WithNode("api", "api-upgraded", new Dictionary<string, string> { ["CHAT_VERSION_OVERRIDE"] = twoAhead })
            .WithoutAdmin()
            .StartAsync();
        Assert.Equal(0, await nodes.Node("api-upgraded").StopAsync());

        await using var old = nodes.NewNode("api", "api-old");
        old.Launch();
        Assert.Equal(76, await old.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"Refusing to start: This node runs version {current}", old.Output, StringComparison.Ordinal);
        Assert.Contains($"Upgrade this node to {NextMinor(current)} or later", old.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", old.Output, StringComparison.Ordinal);
    }

    private static string StatusOf(IReadOnlyList<JsonNode> status, string hostname) => (string)status.Single(n => (string)n["hostname"]! == hostname)["status"]!;

    private static string ConfigHashOf(IReadOnlyList<JsonNode> status, string hostname) => (string)status.Single(n => (string)n["hostname"]! == hostname)["config_hash"]!;

    private static async Task<IReadOnlyList<JsonNode>> StatusAsync(ApiClient admin) =>
        [.. (await admin.GetAsync("/api/v4/cluster/status")).Expect(200).Json.AsArray().Select(n => n!)];

    /// <summary>The version the build reports: the first part of X-Version-Id.</summary>
    private async Task<string> CurrentVersionAsync()
    {
        var response = await cluster.Anonymous(cluster.Api1).GetAsync("/api/v4/system/ping");
        var header = response.Header("X-Version-Id")!;
        return string.Join('.', header.Split('.').Take(3));
    }

    private static string NextMinor(string version)
    {
        var parts = version.Split('.').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return $"{parts[0]}.{parts[1] + 1}.0";
    }

    /// <summary>Closed-loop GETs through the edge from a few workers, counting every answer other than 200.</summary>
    private sealed class GetLoad : IDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _workers;
        private readonly List<string> _failures = [];
        private readonly Stopwatch _running = Stopwatch.StartNew();
        private long _sent;

        public GetLoad(string edgeUrl, string token, int workers)
        {
            _http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            string[] paths = ["/api/v4/users/me", "/api/v4/system/ping", "/api/v4/users/me/teams"];
            _workers = [.. Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
            {
                for (var i = w; !_stop.IsCancellationRequested; i++)
                {
                    var path = paths[i % paths.Length];
                    Interlocked.Increment(ref _sent);
                    try
                    {
                        using var response = await _http.GetAsync(edgeUrl + path);
                        if ((int)response.StatusCode != 200)
                        {
                            Fail($"GET {path} → {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        }
                    }
                    catch (HttpRequestException e)
                    {
                        Fail($"GET {path} → {e.Message}");
                    }
                    catch (TaskCanceledException)
                    {
                        Fail($"GET {path} → no answer within {_http.Timeout}");
                    }
                }
            }))];
        }

        public async Task<(long Sent, int Failed, IReadOnlyList<string> Failures, TimeSpan Duration)> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
            lock (_failures)
            {
                return (Interlocked.Read(ref _sent), _failures.Count, [.. _failures], _running.Elapsed);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _http.Dispose();
            _stop.Dispose();
        }

        private void Fail(string what)
        {
            lock (_failures)
            {
                _failures.Add(what);
            }
        }
    }
}
