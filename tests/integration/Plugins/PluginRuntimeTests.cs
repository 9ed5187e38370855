using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// Plugins as real child processes of three api nodes: the trigger-word example across nodes, hooks, ServeHTTP and
/// its identity header, the KV store (limits, isolation, compare-and-set under contention), bots, WebSocket events,
/// settings, and the cluster Schedule while a node is SIGKILLed (its plugin processes must not survive it).
/// </summary>
[Collection(PluginRuntimeCollection.Name)]
public sealed class PluginRuntimeTests(PluginRuntimeFixture cluster, ITestOutputHelper output)
{
    private const string TriggerWord = "services/plugins/trigger-word";
    private const string Probe = "tests/plugins/probe";

    private async Task<(ApiClient Alice, ApiClient Bob, string ChannelId, string ChannelName)> ChannelOfTwoAsync()
    {
        var alice = await cluster.NewUserAsync(0);
        var bob = await cluster.NewUserAsync(1);
        var team = await cluster.Admin.CreateTeamAsync();
        await cluster.Admin.AddToTeamAsync(team, alice, bob);
        var channel = (await cluster.Admin.PostAsync("/api/v4/channels", new { TeamId = team, Name = Unique.ChannelName(), DisplayName = "Releases", Type = "O" })).Expect(201).Json;
        await cluster.Admin.AddToChannelAsync(channel.Id(), alice, bob);
        return (alice, bob, channel.Id(), (string)channel["name"]!);
    }

    [Fact]
    public async Task Trigger_word_set_through_one_node_fires_for_a_post_through_another()
    {
        await cluster.EnsureInstalledAsync("trigger-word", TriggerWord);
        var (alice, bob, channelId, channelName) = await ChannelOfTwoAsync();
        var words = (await cluster.User(alice, 0).PutAsync("/plugins/trigger-word/api/v1/words", new { Words = new[] { "Deploy", "rollback" } })).Expect(200).Json;
        Assert.Equal(["deploy", "rollback"], words["words"]!.AsArray().Select(w => (string)w!));
        // Every node's copy reads the same KV store.
        var read = (await cluster.User(alice, 2).GetAsync("/plugins/trigger-word/api/v1/words")).Expect(200).Json;
        Assert.Equal(["deploy", "rollback"], read["words"]!.AsArray().Select(w => (string)w!));
        (await cluster.Anonymous(1).PutAsync("/plugins/trigger-word/api/v1/words", new { Words = new[] { "x" } })).Expect(401);
        (await cluster.User(alice, 0).PutAsync("/plugins/trigger-word/api/v1/words", new { Words = new[] { "no spaces allowed" } })).Expect(400);

        await cluster.User(bob, 1).CreatePostAsync(channelId, "Time to DEPLOY the release.");

        var bot = (await alice.GetAsync("/api/v4/users/username/trigger-word")).Expect(200).Json;
        Assert.True((bool)bot["is_bot"]!);
        Assert.DoesNotContain("system_admin", (string)bot["roles"]!, StringComparison.Ordinal);
        (await cluster.Anonymous(0).PostAsync("/api/v4/users/login", new { LoginId = "trigger-word", Password = "anything-at-all" })).Expect(401);

        var direct = (await alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bot.Id() })).Expect(201).Json.Id();
        var dm = await PluginRuntimeFixture.WaitForAsync(async () =>
        {
            var posts = (await cluster.User(alice, 2).GetAsync($"/api/v4/channels/{direct}/posts")).Expect(200).Json;
            return posts["order"]!.AsArray().Count > 0 ? posts["posts"]![(string)posts["order"]![0]!] : null;
        }, "the trigger-word direct message");
        var message = (string)dm["message"]!;
        Assert.Equal(bot.Id(), (string)dm["user_id"]!);
        Assert.Contains("**deploy**", message, StringComparison.Ordinal);
        Assert.Contains($"~{channelName}", message, StringComparison.Ordinal);
        Assert.Contains($"@{bob.Username}", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hooks_rewrite_and_reject_posts_and_see_joins_and_ServeHTTP_names_only_an_authenticated_caller()
    {
        await cluster.EnsureInstalledAsync("probe", Probe);
        var (alice, bob, channelId, _) = await ChannelOfTwoAsync();
        Assert.Equal("SHOUTING #SHOUT", (string)(await cluster.User(alice, 1).CreatePostAsync(channelId, "shouting #shout"))["message"]!);
        var rejected = (await cluster.User(alice, 2).PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "no #reject" })).Expect(400).Json;
        Assert.Equal("Post rejected by plugin. the probe rejects #reject", (string)rejected["message"]!);
        Assert.Equal("hello plain", (string)(await alice.CreatePostAsync(channelId, "hello plain"))["message"]!);

        // UserHasJoinedChannel, with who added the user.
        var carol = await cluster.NewUserAsync(2);
        var team = (string)(await alice.GetAsync($"/api/v4/channels/{channelId}")).Expect(200).Json["team_id"]!;
        await cluster.Admin.AddToTeamAsync(team, carol);
        await cluster.User(cluster.Admin, 1).AddToChannelAsync(channelId, carol);
        var actor = await PluginRuntimeFixture.WaitForAsync(async () =>
        {
            var kv = await cluster.User(alice, 0).GetAsync($"/plugins/probe/kv?key=joined:{channelId}:{carol.UserId}");
            return kv.Status == 200 ? kv.Body : null;
        }, "the recorded join");
        Assert.Equal($"\"{cluster.Admin.UserId}\"", actor);

        var me = (await cluster.User(bob, 0).GetAsync("/plugins/probe/whoami")).Expect(200).Json;
        Assert.Equal((bob.UserId, ""), ((string)me["user_id"]!, (string)me["authorization"]!));
        // A client cannot claim to be someone.
        var forged = await cluster.Anonymous(1).SendAsync(HttpMethod.Get, "/plugins/probe/whoami", null, r => r.Headers.Add("Mattermost-User-Id", bob.UserId));
        Assert.Equal("", (string)forged.Expect(200).Json["user_id"]!);
        Assert.Equal("hello", (string)(await alice.GetAsync("/plugins/probe/config")).Expect(200).Json["Greeting"]!);
        Assert.Equal("app.plugin.not_found.app_error", (string)(await alice.GetAsync("/plugins/no-such-plugin/x")).Expect(404).Json["id"]!);
    }

    [Fact]
    public async Task Concurrent_compare_and_set_increments_from_every_node_count_exactly()
    {
        await cluster.EnsureInstalledAsync("probe", Probe);
        var user = await cluster.NewUserAsync();
        const int PerNode = 15;
        var key = "counter-" + Unique.Suffix();
        var clock = Stopwatch.StartNew();
        var values = await Task.WhenAll(Enumerable.Range(0, PerNode * 2).Select(async i =>
            (long)(await cluster.User(user, i % 2).PostAsync($"/plugins/probe/kv/increment?key={key}", null)).Expect(200).Json["value"]!));
        output.WriteLine($"plugin-kv-cas: {PerNode * 2} concurrent increments of one key through 2 nodes in {clock.ElapsedMilliseconds} ms");
        // Every increment saw a different value: none was lost or applied twice.
        Assert.Equal(Enumerable.Range(1, PerNode * 2).Select(i => (long)i), values.Order());
        Assert.Equal((PerNode * 2).ToString(CultureInfo.InvariantCulture), (await cluster.User(user, 2).GetAsync($"/plugins/probe/kv?key={key}")).Expect(200).Body);
    }

    [Fact]
    public async Task Figure_what_a_round_trip_to_a_plugin_process_adds_to_a_request()
    {
        await cluster.EnsureInstalledAsync("probe", Probe);
        var user = await cluster.NewUserAsync();
        async Task<(double P50, double P99)> Measure(string path)
        {
            var times = new List<double>();
            for (var i = 0; i < 200; i++)
            {
                var clock = Stopwatch.StartNew();
                (await user.GetAsync(path)).Expect(200);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return (times[times.Count / 2], times[(int)(times.Count * 0.99)]);
        }
        await Measure("/plugins/probe/pid");
        var plugin = await Measure("/plugins/probe/pid");
        var server = await Measure("/api/v4/users/me");
        output.WriteLine($"plugin-rpc: GET /plugins/probe/pid p50={plugin.P50:F2} ms p99={plugin.P99:F2} ms; GET /api/v4/users/me p50={server.P50:F2} ms p99={server.P99:F2} ms (sequential, one client)");
    }

    [Fact]
    public async Task KV_keeps_each_plugins_keys_apart_within_limits_with_expiry_and_compare_and_set()
    {
        await cluster.EnsureInstalledAsync("probe", Probe);
        await cluster.EnsureInstalledAsync("probe-b", Probe);
        var user = await cluster.NewUserAsync();
        async Task<ApiResponse> Put(string plugin, string key, byte[] value, int node = 0, int expire = 0) =>
            await cluster.User(user, node).SendAsync(HttpMethod.Put, $"/plugins/{plugin}/kv?key={Uri.EscapeDataString(key)}&expire={expire}", new ByteArrayContent(value));
        Task<ApiResponse> Get(string plugin, string key, int node = 0) => cluster.User(user, node).GetAsync($"/plugins/{plugin}/kv?key={Uri.EscapeDataString(key)}");

        // Keys with the characters state keys may not hold, read back through another node.
        foreach (var key in new[] { "a/b", "x||y", "100%", new string('k', 150) })
        {
            (await Put("probe", key, Encoding.UTF8.GetBytes("v:" + key))).Expect(200);
            Assert.Equal("v:" + key, (await Get("probe", key, node: 1)).Expect(200).Body);
        }
        var tooLong = (await Put("probe", new string('k', 151), [1])).Expect(400).Json;
        Assert.Equal("model.plugin_key_value.is_valid.key.app_error", (string)tooLong["id"]!);
        (await Put("probe", "big", new byte[1024 * 1024])).Expect(200);
        Assert.Equal("model.plugin_key_value.is_valid.value.app_error", (string)(await Put("probe", "bigger", new byte[1024 * 1024 + 1])).Expect(413).Json["id"]!);
        (await Put("probe", "", [1])).Expect(400);

        // Another plugin sees none of it, and clearing its own keys leaves these alone.
        (await Get("probe-b", "a/b")).Expect(404);
        (await Put("probe-b", "a/b", "mine"u8.ToArray())).Expect(200);
        (await cluster.User(user, 1).DeleteAsync("/plugins/probe-b/kv/all")).Expect(200);
        (await Get("probe-b", "a/b")).Expect(404);
        Assert.Equal("v:a/b", (await Get("probe", "a/b")).Expect(200).Body);
        var keys = (await cluster.User(user, 2).GetAsync("/plugins/probe/kv/list?page=0&per_page=1000")).Expect(200).Json.AsArray().Select(k => (string)k!).ToList();
        Assert.Contains("a/b", keys);
        Assert.Contains("x||y", keys);
        Assert.Equal("app.plugin.kv_list.paging.app_error", (string)(await cluster.User(user, 2).GetAsync("/plugins/probe/kv/list?page=0&per_page=1001")).Expect(400).Json["id"]!);

        // Expiry.
        (await Put("probe", "short-lived", [1], expire: 1)).Expect(200);
        await PluginRuntimeFixture.WaitForAsync(async () => (await Get("probe", "short-lived")).Status == 404 ? "" : null, "the key to expire");

        // Mattermost's KVSetWithOptions: atomic with an old value, only if absent, delete on match.
        async Task<bool> Cas(string key, string? old, string? value, bool atomic = true) =>
            (bool)(await cluster.User(user, 1).PostAsync($"/plugins/probe/kv/cas?key={key}", new { Atomic = atomic, Old = old, New = value })).Expect(200).Json["ok"]!;
        var k = "cas-" + Unique.Suffix();
        Assert.True(await Cas(k, null, "one"));
        Assert.False(await Cas(k, null, "again"));
        Assert.False(await Cas(k, "wrong", "two"));
        Assert.True(await Cas(k, "one", "two"));
        Assert.Equal("two", (await Get("probe", k, node: 2)).Expect(200).Body);
        Assert.False(await Cas(k, "one", null));
        Assert.True(await Cas(k, "two", null));
        (await Get("probe", k)).Expect(404);
        Assert.True(await Cas(k, null, "plain", atomic: false));
    }

    [Fact]
    public async Task A_plugins_WebSocket_event_reaches_its_audience_as_a_custom_event_through_the_event_log()
    {
        await cluster.EnsureInstalledAsync("probe", Probe);
        var user = await cluster.NewUserAsync();
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, user.Token);
        Assert.Equal("hello", (string?)(await socket.NextEventAsync())["event"]);
        var text = "hi " + Unique.Suffix();
        (await cluster.User(user, 1).SendAsync(HttpMethod.Post, $"/plugins/probe/publish?event=greeting&user_id={user.UserId}", new StringContent(text))).Expect(200);

        var received = await socket.WaitForAsync("custom_probe_greeting");
        Assert.Equal(text, (string?)received["data"]!["text"]);
        Assert.Equal(user.UserId, (string?)received["broadcast"]!["user_id"]);
        var bad = (await cluster.User(user, 1).SendAsync(HttpMethod.Post, "/plugins/probe/publish?event=no%20spaces", new StringContent("x"))).Expect(400).Json;
        Assert.Equal("app.plugin.publish_websocket_event.event.app_error", (string)bad["id"]!);
    }

    [Fact]
    public async Task Schedule_runs_once_per_interval_across_three_nodes_while_one_is_killed()
    {
        await cluster.InstallAsync("probe-schedule", PluginRuntimeFixture.Bundle(Probe, "probe-schedule"));
        var killed = cluster.Nodes[2];
        try
        {
            var user = await cluster.NewUserAsync();
            var pids = new Dictionary<int, string>();
            foreach (var node in cluster.Nodes)
            {
                pids[(int)(await user.On(node.BaseUrl).GetAsync("/plugins/probe-schedule/pid")).Expect(200).Json["pid"]!] = node.Name;
            }
            async Task<List<Run>> Runs() => [.. (await cluster.User(user, 0).GetAsync("/plugins/probe-schedule/runs")).Expect(200).Json.AsArray()
                .Select(r => new Run((long)r!["start"]!, (long)r["end"]!, (int)r["pid"]!))];
            await PluginRuntimeFixture.WaitForAsync(async () => (await Runs()).Count >= 2 ? "" : null, "two runs");

            var victimPid = pids.Single(p => p.Value == killed.Name).Key;
            // SIGKILL of the node process alone (not its process tree): no shutdown code runs.
            using (var node = Process.GetProcessById(killed.ProcessId!.Value))
            {
                node.Kill(entireProcessTree: false);
            }
            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // Its plugin process sees its input end and exits: nothing outlives the node.
            await PluginRuntimeFixture.WaitForAsync(() => Task.FromResult(IsAlive(victimPid) ? null : ""), $"plugin process {victimPid} of the killed node to exit");

            var runs = await PluginRuntimeFixture.WaitForAsync(async () =>
            {
                var all = await Runs();
                return all.Count(r => r.Start > killedAt) >= 3 ? all : null;
            }, "three runs after the kill");
            var ordered = runs.OrderBy(r => r.Start).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                // Never two at once, and each run waits a full interval after the previous one finished.
                Assert.True(ordered[i].Start - ordered[i - 1].End >= PluginRuntimeFixture.ScheduleMilliseconds,
                    $"run {i} started {ordered[i].Start - ordered[i - 1].End} ms after run {i - 1} ended: {string.Join(", ", ordered)}");
            }
            Assert.All(ordered.Where(r => r.Start > killedAt), r => Assert.NotEqual(victimPid, r.Pid));
            Assert.All(ordered, r => Assert.Contains(r.Pid, pids.Keys));
        }
        finally
        {
            killed.Kill();
            await killed.StartAsync();
            await cluster.RemoveAsync("probe-schedule");
        }
    }

    [Fact]
    public async Task Channel_digest_counts_posts_from_every_node_and_sends_subscribers_one_digest_per_period()
    {
        await cluster.InstallAsync("channel-digest", PluginRuntimeFixture.Bundle("services/plugins/channel-digest"));
        try
        {
            var (alice, bob, channelId, channelName) = await ChannelOfTwoAsync();
            var subscribed = (await cluster.User(alice, 2).PutAsync("/plugins/channel-digest/api/v1/subscription", new { Subscribed = true })).Expect(200).Json;
            Assert.True((bool)subscribed["subscribed"]!);
            await cluster.User(bob, 0).CreatePostAsync(channelId, "one");
            await cluster.User(bob, 1).CreatePostAsync(channelId, "two");

            var bot = (await alice.GetAsync("/api/v4/users/username/channel-digest")).Expect(200).Json.Id();
            var direct = (await alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bot })).Expect(201).Json.Id();
            async Task<List<string>> Digests() => [.. (await alice.GetAsync($"/api/v4/channels/{direct}/posts")).Expect(200).Json["posts"]!.AsObject()
                .Select(p => (string)p.Value!["message"]!)];
            int Counted(List<string> digests) =>
                digests.Sum(m => int.TryParse(System.Text.RegularExpressions.Regex.Match(m, $@"~{channelName}: (\d+) new post").Groups[1].Value, out var n) ? n : 0);
            await PluginRuntimeFixture.WaitForAsync(async () => Counted(await Digests()) > 0 ? "" : null, "a digest naming the channel");
            // The two posts fall into one period or two. One digest per period across the three nodes: never a post counted twice.
            var digests = await Digests();
            Assert.All(digests, m => Assert.StartsWith("Channel digest:", m, StringComparison.Ordinal));
            Assert.InRange(Counted(digests), 1, 2);
            Assert.InRange(digests.Count, 1, 2);
        }
        finally
        {
            await cluster.RemoveAsync("channel-digest");
        }
    }

    /// <summary>Running, not a zombie waiting for a parent that is gone.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed record Run(long Start, long End, int Pid);
}
