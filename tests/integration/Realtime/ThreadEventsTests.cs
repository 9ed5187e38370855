using System.Text.Json.Nodes;
using Chat.Testing;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>Thread events reach a follower's WebSocket on the other realtime node than the one the writer's api used.</summary>
[Collection(RealtimeCollection.Name)]
public sealed class ThreadEventsTests(RealtimeFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    public Task InitializeAsync() => cluster.EnsureRunningAsync(cluster.Realtime2);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_reply_read_and_unfollow_reach_the_followers_socket_on_realtime_2()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(channelId, bob);
        var root = await bob.CreatePostAsync(channelId, "bob's thread");
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token);
        await socket.WaitForAsync("hello");

        // bob started the thread, so alice's reply (through api 1) makes him a follower with one unread reply.
        await alice.CreatePostAsync(channelId, "a reply", root.Id());
        var updated = await socket.WaitForAsync("thread_updated");
        Assert.Equal(bob.UserId, (string?)updated["broadcast"]!["user_id"]);
        Assert.Equal(teamId, (string?)updated["broadcast"]!["team_id"]);
        var thread = JsonNode.Parse((string)updated["data"]!["thread"]!)!;
        Assert.Equal(root.Id(), thread.Id());
        Assert.Equal(1L, (long)thread["reply_count"]!);
        Assert.Equal(1L, (long)thread["unread_replies"]!);
        Assert.Equal(alice.UserId, thread["participants"]![0].Id());
        Assert.Equal(0L, (long)updated["data"]!["previous_unread_replies"]!);

        var now = (long)thread["last_reply_at"]!;
        (await bob.On(cluster.Api2.BaseUrl).PutAsync($"/api/v4/users/me/teams/{teamId}/threads/{root.Id()}/read/{now}", null)).Expect(200);
        var read = await socket.WaitForAsync("thread_read_changed");
        Assert.Equal(root.Id(), (string?)read["data"]!["thread_id"]);
        Assert.Equal(0L, (long)read["data"]!["unread_replies"]!);
        Assert.Equal(1L, (long)read["data"]!["previous_unread_replies"]!);
        Assert.Equal(channelId, (string?)read["data"]!["channel_id"]);

        (await bob.DeleteAsync($"/api/v4/users/me/teams/{teamId}/threads/{root.Id()}/following")).Expect(200);
        var follow = await socket.WaitForAsync("thread_follow_changed");
        Assert.Equal(root.Id(), (string?)follow["data"]!["thread_id"]);
        Assert.False((bool)follow["data"]!["state"]!);
        Assert.Equal(1L, (long)follow["data"]!["reply_count"]!);
    }

    /// <summary>tests/js/test/threads.test.js (mattermost-redux's thread actions) with its socket on the realtime nodes.</summary>
    [Fact]
    public async Task The_web_apps_thread_actions_and_their_events_work_across_nodes()
    {
        await cluster.EnsureRunningAsync(cluster.Realtime1);
        var run = await NodeTestRun.RunAsync(["test/threads.test.js"], new Dictionary<string, string>
        {
            ["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}",
            ["CHAT_REALTIME_URLS"] = $"{cluster.Realtime1.BaseUrl},{cluster.Realtime2.BaseUrl}",
        }, TimeSpan.FromMinutes(3));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the threads suite failed: {run}");
        Assert.Contains("# skipped 0", run.Stdout, StringComparison.Ordinal);
    }
}
