namespace Chat.IntegrationTests;

/// <summary>
/// A plugin that hangs, crashes or freezes never takes its node down: hooks time out and the post goes through,
/// a dead or unresponsive plugin is restarted with growing delays, its status says what happened, and repeated
/// crashes leave it FailedToStayRunning while the node serves on. A plugin whose OnActivate fails is FailedToStart.
/// </summary>
[Collection(PluginRuntimeCollection.Name)]
public sealed class PluginFailureTests(PluginRuntimeFixture cluster)
{
    private const string Faulty = "tests/plugins/faulty";
    private const int Running = 2, FailedToStart = 3, FailedToStayRunning = 4;

    [Fact]
    public async Task A_crashing_hanging_or_frozen_plugin_leaves_its_node_serving_and_is_restarted_until_it_keeps_crashing()
    {
        await cluster.InstallAsync("faulty", PluginRuntimeFixture.Bundle(Faulty));
        try
        {
            var node = cluster.Nodes[0];
            var user = await cluster.NewUserAsync(0);
            var team = await cluster.Admin.CreateTeamAsync();
            await cluster.Admin.AddToTeamAsync(team, user);
            var channel = await user.CreateChannelAsync(team);
            async Task<int> Pid() => (int)(await user.On(node.BaseUrl).GetAsync("/plugins/faulty/pid")).Expect(200).Json["pid"]!;
            var first = await Pid();

            // A hook that never returns: the post goes through once the hook's time is up; the plugin still answers.
            Assert.Equal("wait #hang", (string)(await user.CreatePostAsync(channel, "wait #hang"))["message"]!);
            Assert.Equal(first, await Pid());
            // So does a ServeHTTP that never answers: a 504 of our own.
            using (var response = await cluster.RawHttp.GetAsync($"{node.BaseUrl}/plugins/faulty/hang"))
            {
                Assert.Equal(504, (int)response.StatusCode);
            }

            // A crash in the middle of a hook: the post is stored anyway, the plugin comes back with a new process.
            (await user.CreatePostAsync(channel, "boom #crash")).Id();
            var restarted = await cluster.WaitForStatusAsync("faulty", node, s => s.State == Running && s.Error.Contains("crashed on purpose", StringComparison.Ordinal));
            Assert.Contains("exited with code", restarted.Error, StringComparison.Ordinal);
            var second = await Pid();
            Assert.NotEqual(first, second);

            // Frozen (SIGSTOP): the hook times out, the health check gets no answer, the process is killed and replaced.
            (await user.CreatePostAsync(channel, "stop #freeze")).Id();
            await cluster.WaitForStatusAsync("faulty", node, s => s.State == Running && s.Error.Contains("hung", StringComparison.Ordinal));
            Assert.NotEqual(second, await Pid());

            // The third crash within the hour: it stays down and says why; the node does not care.
            (await user.CreatePostAsync(channel, "again #crash")).Id();
            var failed = await cluster.WaitForStatusAsync("faulty", node, s => s.State == FailedToStayRunning);
            Assert.Contains("crashed on purpose", failed.Error, StringComparison.Ordinal);
            Assert.Contains("not restarted again", failed.Error, StringComparison.Ordinal);
            Assert.Equal("all fine", (string)(await user.CreatePostAsync(channel, "all fine"))["message"]!);
            (await user.On(node.BaseUrl).GetAsync("/plugins/faulty/pid")).Expect(404);
            (await user.On(node.BaseUrl).GetAsync("/api/v4/system/ping")).Expect(200);

            // Every other node's copy never crashed.
            foreach (var other in cluster.Nodes.Skip(1))
            {
                Assert.Equal(Running, (await cluster.WaitForStatusAsync("faulty", other, _ => true)).State);
            }
        }
        finally
        {
            await cluster.RemoveAsync("faulty");
        }
    }

    [Fact]
    public async Task A_plugin_whose_activation_fails_is_FailedToStart_with_the_reason_and_not_retried()
    {
        await cluster.InstallAsync("faulty-start", PluginRuntimeFixture.Bundle(Faulty, "faulty-start"), expectedState: FailedToStart);
        try
        {
            var statuses = await cluster.WaitForStatusesAsync("faulty-start", s => s.State == FailedToStart);
            Assert.All(statuses, s => Assert.Contains("FailActivation is set", s.Error, StringComparison.Ordinal));
            (await cluster.Admin.GetAsync("/plugins/faulty-start/pid")).Expect(404);
        }
        finally
        {
            await cluster.RemoveAsync("faulty-start");
        }
    }
}
