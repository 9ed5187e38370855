using System.Text.Json.Nodes;
using Chat.Testing;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>Pins, unpins and saved posts reach the other users' (and the user's own) sockets on another realtime node.</summary>
[Collection(RealtimeCollection.Name)]
public sealed class PinEventsTests(RealtimeFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    public Task InitializeAsync() => cluster.EnsureRunningAsync(cluster.Realtime2);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_pin_through_api_1_reaches_a_channel_member_on_realtime_2_as_post_edited()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId, "P");
        await alice.AddToChannelAsync(channelId, bob);
        var postId = (await bob.CreatePostAsync(channelId, "pin this")).Id();
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token);
        await socket.WaitForAsync("hello");

        (await alice.PostAsync($"/api/v4/posts/{postId}/pin", null)).Expect(200);
        var pinned = await socket.WaitForAsync("post_edited");
        Assert.Equal(channelId, (string?)pinned["broadcast"]!["channel_id"]);
        var post = JsonNode.Parse((string)pinned["data"]!["post"]!)!;
        Assert.Equal(postId, post.Id());
        Assert.True((bool)post["is_pinned"]!);

        (await alice.On(cluster.Api2.BaseUrl).PostAsync($"/api/v4/posts/{postId}/unpin", null)).Expect(200);
        var unpinned = JsonNode.Parse((string)(await socket.WaitForAsync("post_edited"))["data"]!["post"]!)!;
        Assert.Equal(postId, unpinned.Id());
        Assert.False((bool)unpinned["is_pinned"]!);
    }

    [Fact]
    public async Task Saving_a_post_reaches_the_users_own_socket_on_realtime_2()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        var postId = (await alice.CreatePostAsync(channelId, "save this")).Id();
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, alice.Token);
        await socket.WaitForAsync("hello");

        (await alice.PutAsync($"/api/v4/users/{alice.UserId}/preferences", new[] { new { alice.UserId, Category = "flagged_post", Name = postId, Value = "true" } })).Expect(200);
        var changed = await socket.WaitForAsync("preferences_changed");
        var preference = JsonNode.Parse((string)changed["data"]!["preferences"]!)![0]!;
        Assert.Equal("flagged_post", (string?)preference["category"]);
        Assert.Equal(postId, (string?)preference["name"]);
        Assert.Equal([postId], (await alice.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me/posts/flagged")).Expect(200).Json.Order());
    }

    /// <summary>
    /// tests/js/test/pins-stats.test.js (mattermost-redux's pin, saved-post, edit and stats actions) with a socket on
    /// a realtime node, so its pin-event flow runs too.
    /// </summary>
    [Fact]
    public async Task The_web_apps_pins_saved_posts_and_stats_flows_run_with_their_events()
    {
        await cluster.EnsureRunningAsync(cluster.Realtime1);
        var run = await NodeTestRun.RunAsync(["test/pins-stats.test.js"], new Dictionary<string, string>
        {
            ["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}",
            ["CHAT_REALTIME_URLS"] = $"{cluster.Realtime1.BaseUrl},{cluster.Realtime2.BaseUrl}",
        }, TimeSpan.FromMinutes(3));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the pins and stats suite failed: {run}");
        Assert.Contains("# skipped 0", run.Stdout, StringComparison.Ordinal);
    }
}
