using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// Statuses across the cluster: online while a socket (WebSocket or SignalR) is open on any realtime node, offline
/// when the last one closes or within 15 s of its node being killed, away after the away timeout, a chosen status
/// kept against activity, timed DND ending, posts marking their author online, and the status routes' rules. Every
/// status is read through the api node that did not make the change.
/// </summary>
[Collection(StatusesCollection.Name)]
public sealed class StatusTests(StatusesFixture cluster, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan OfflineAfterKillLimit = TimeSpan.FromSeconds(15);

    public async Task InitializeAsync()
    {
        await cluster.EnsureRunningAsync(cluster.Realtime1);
        await cluster.EnsureRunningAsync(cluster.Realtime2);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_user_is_online_while_a_socket_is_open_and_offline_within_15_s_of_its_node_being_killed()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var other = user.On(cluster.Api2.BaseUrl);
        var before = await StatusAsync(other, user.UserId!);
        Assert.Equal("offline", (string?)before["status"]);
        Assert.Equal(0L, (long)before["last_activity_at"]!);

        var socket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, user.Token);
        await socket.WaitForAsync("hello");
        var online = await WaitForStatusAsync(other, user.UserId!, "online", TimeSpan.FromSeconds(10));
        Assert.False((bool)online["manual"]!);
        Assert.True((long)online["last_activity_at"]! > 0);
        var changed = await socket.WaitForAsync("status_change");
        Assert.Equal("online", (string?)changed["data"]!["status"]);
        Assert.Equal(user.UserId, (string?)changed["data"]!["user_id"]);
        Assert.Equal(user.UserId, (string?)changed["broadcast"]!["user_id"]);

        cluster.Realtime1.Kill();
        var clock = Stopwatch.StartNew();
        await WaitForStatusAsync(other, user.UserId!, "offline", OfflineAfterKillLimit);
        output.WriteLine($"offline {clock.Elapsed.TotalSeconds:0.0} s after realtime-1 was killed (seen from api-2)");
        await socket.DisposeAsync();
    }

    [Fact]
    public async Task A_second_socket_on_realtime_2_keeps_the_user_online_when_realtime_1_dies()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var other = user.On(cluster.Api2.BaseUrl);
        var webSocket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, user.Token);
        await webSocket.WaitForAsync("hello");
        var hub = await SignalRTestClient.ConnectAsync(cluster.Realtime2.BaseUrl, user.Token!);
        Assert.Equal("hello", (string?)(await hub.NextEventAsync())["event"]);
        await WaitForStatusAsync(other, user.UserId!, "online", TimeSpan.FromSeconds(10));
        await WaitAsync(() => SocketsAsync(user), n => n == 2, TimeSpan.FromSeconds(10), "both sockets recorded");

        cluster.Realtime1.Kill();
        var clock = Stopwatch.StartNew();
        // Until the killed node's socket is swept and a sweep later, the user never shows offline.
        var swept = TimeSpan.Zero;
        while (swept == TimeSpan.Zero || clock.Elapsed < swept + TimeSpan.FromSeconds(3))
        {
            Assert.Equal("online", (string?)(await StatusAsync(other, user.UserId!))["status"]);
            if (swept == TimeSpan.Zero && await SocketsAsync(user) == 1)
            {
                swept = clock.Elapsed;
                output.WriteLine($"realtime-1's socket swept {swept.TotalSeconds:0.0} s after the kill; the SignalR socket on realtime-2 kept the user online");
            }
            Assert.True(clock.Elapsed < OfflineAfterKillLimit + TimeSpan.FromSeconds(3), "the killed node's socket was not swept");
            await Task.Delay(200);
        }

        await hub.DisposeAsync();
        await WaitForStatusAsync(other, user.UserId!, "offline", TimeSpan.FromSeconds(10));
        Assert.Equal(0, await SocketsAsync(user));
        await webSocket.DisposeAsync();
    }

    [Fact]
    public async Task A_status_the_user_chose_survives_activity_and_the_last_socket_closing_and_only_they_hear_of_it()
    {
        var users = await Task.WhenAll(cluster.NewUserAsync(cluster.Api1, "alice"), cluster.NewUserAsync(cluster.Api2, "bob"));
        var (alice, bob) = (users[0], users[1]);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(channelId, bob);
        await using var aliceSocket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, alice.Token);
        var bobSocket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token);
        await bobSocket.WaitForAsync("hello");
        await WaitForStatusAsync(alice, bob.UserId!, "online", TimeSpan.FromSeconds(10));

        var dnd = (await bob.PutAsync($"/api/v4/users/{bob.UserId}/status", new { user_id = bob.UserId, status = "dnd" })).Expect(200).Json;
        Assert.Equal("dnd", (string?)dnd["status"]);
        Assert.True((bool)dnd["manual"]!);
        Assert.Equal(0L, (long)dnd["dnd_end_time"]!);
        await bobSocket.WaitForAsync("status_change", e => (string?)e["data"]!["status"] == "dnd");

        // Activity of every kind: typing, the web app's active-status message, a post, another socket.
        var lastActivity = (long)dnd["last_activity_at"]!;
        Assert.Equal("OK", (string?)(await bobSocket.SendAsync("user_typing", new { channel_id = channelId, parent_id = "" }))["status"]);
        Assert.Equal("OK", (string?)(await bobSocket.SendAsync("user_update_active_status", new { user_is_active = true, manual = false }))["status"]);
        Assert.Equal(400, (int)(await bobSocket.SendAsync("user_update_active_status", new { user_is_active = "yes" }))["error"]!["status_code"]!);
        await bob.On(cluster.Api2.BaseUrl).CreatePostAsync(channelId, "busy, but posting");
        await using (var again = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token))
        {
            await again.WaitForAsync("hello");
        }
        var kept = await WaitAsync(() => StatusAsync(alice, bob.UserId!), s => (long)s["last_activity_at"]! > lastActivity, TimeSpan.FromSeconds(10), "the activity recorded");
        Assert.Equal("dnd", (string?)kept["status"]);
        Assert.True((bool)kept["manual"]!);

        await bobSocket.CloseAsync();
        await bobSocket.DisposeAsync();
        await WaitAsync(() => SocketsAsync(bob), n => n == 0, TimeSpan.FromSeconds(10), "bob's sockets closed");
        Assert.Equal("dnd", (string?)(await StatusAsync(alice.On(cluster.Api2.BaseUrl), bob.UserId!))["status"]);

        var online = (await bob.PutAsync("/api/v4/users/me/status", new { user_id = bob.UserId, status = "online" })).Expect(200).Json;
        Assert.Equal("online", (string?)online["status"]);
        Assert.False((bool)online["manual"]!);

        // Bob's changes went to bob alone; alice heard only of her own status.
        await aliceSocket.DrainAsync(TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(aliceSocket.Events, e => (string?)e["event"] == "status_change" && (string?)e["data"]!["user_id"] != alice.UserId);
        Assert.Contains(aliceSocket.Events, e => (string?)e["event"] == "status_change" && (string?)e["data"]!["user_id"] == alice.UserId);
    }

    [Fact]
    public async Task An_idle_user_is_away_after_the_timeout_and_online_again_when_active()
    {
        var user = await cluster.NewUserAsync(cluster.Api2);
        var other = user.On(cluster.Api1.BaseUrl);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, user.Token);
        await socket.WaitForAsync("hello");
        await socket.WaitForAsync("status_change", e => (string?)e["data"]!["status"] == "online");
        var clock = Stopwatch.StartNew();

        var away = await socket.WaitForAsync("status_change", e => (string?)e["data"]!["status"] == "away", TimeSpan.FromSeconds(StatusesFixture.AwayTimeoutSeconds + 20));
        output.WriteLine($"away {clock.Elapsed.TotalSeconds:0.0} s after the socket opened (timeout {StatusesFixture.AwayTimeoutSeconds} s)");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(StatusesFixture.AwayTimeoutSeconds - 2), TimeSpan.FromSeconds(StatusesFixture.AwayTimeoutSeconds + 20));
        Assert.Equal(user.UserId, (string?)away["broadcast"]!["user_id"]);
        var status = await StatusAsync(other, user.UserId!);
        Assert.Equal("away", (string?)status["status"]);
        Assert.False((bool)status["manual"]!);

        Assert.Equal("OK", (string?)(await socket.SendAsync("user_update_active_status", new { user_is_active = true }))["status"]);
        await socket.WaitForAsync("status_change", e => (string?)e["data"]!["status"] == "online");
        Assert.Equal("online", (string?)(await StatusAsync(other, user.UserId!))["status"]);
    }

    [Fact]
    public async Task A_timed_dnd_returns_to_the_status_before_it_when_it_ends()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, user.Token);
        await socket.WaitForAsync("hello");
        await WaitForStatusAsync(user, user.UserId!, "online", TimeSpan.FromSeconds(10));

        var end = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        var timed = (await user.PutAsync($"/api/v4/users/{user.UserId}/status", new { user_id = user.UserId, status = "dnd", dnd_end_time = end })).Expect(200).Json;
        Assert.Equal("dnd", (string?)timed["status"]);
        Assert.Equal(end - end % 60, (long)timed["dnd_end_time"]!);
        Assert.Null(timed["prev_status"]);
        await socket.WaitForAsync("status_change", e => (string?)e["data"]!["status"] == "dnd");

        // An hour is long for a test: the end is moved to a second ago.
        Assert.Equal(1, await cluster.ScalarAsync<long>(
            "WITH u AS (UPDATE statuses SET dnd_end_time = extract(epoch FROM now())::bigint - 1 WHERE user_id = $1 RETURNING 1) SELECT count(*) FROM u", user.UserId!));
        await socket.WaitForAsync("status_change", e => (string?)e["data"]!["status"] == "online");
        // The other api node hears of the change through the event log, like every cached read.
        await WaitForStatusAsync(user.On(cluster.Api2.BaseUrl), user.UserId!, "online", TimeSpan.FromSeconds(5));
        var back = await StatusAsync(user.On(cluster.Api2.BaseUrl), user.UserId!);
        Assert.False((bool)back["manual"]!);
        Assert.Equal(0L, (long)back["dnd_end_time"]!);
    }

    [Fact]
    public async Task Posting_marks_the_author_online_unless_set_online_is_false()
    {
        var author = await cluster.NewUserAsync(cluster.Api1);
        var quiet = await cluster.NewUserAsync(cluster.Api1);
        var teamId = await author.CreateTeamAsync();
        await author.AddToTeamAsync(teamId, quiet);
        var channelId = await author.CreateChannelAsync(teamId);
        await author.AddToChannelAsync(channelId, quiet);

        (await quiet.PostAsync("/api/v4/posts?set_online=false", new { channel_id = channelId, message = "not here" })).Expect(201);
        Assert.Equal("offline", (string?)(await StatusAsync(author.On(cluster.Api2.BaseUrl), quiet.UserId!))["status"]);

        await author.CreatePostAsync(channelId, "here");
        var online = await StatusAsync(quiet.On(cluster.Api2.BaseUrl), author.UserId!);
        Assert.Equal("online", (string?)online["status"]);
        Assert.False((bool)online["manual"]!);
    }

    [Fact]
    public async Task The_status_routes_answer_Mattermosts_shapes_and_errors()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var stranger = await cluster.NewUserAsync(cluster.Api2);
        var unknown = "abcdefghijklmnopqrstuvwxyz";

        var unknownStatus = (await user.GetAsync($"/api/v4/users/{unknown}/status")).Expect(200).Json;
        Assert.Equal(
            JsonNode.Parse($$"""{"user_id":"{{unknown}}","status":"offline","manual":false,"last_activity_at":0,"dnd_end_time":0}""")!.ToJsonString(),
            unknownStatus.ToJsonString());
        var many = (await user.PostAsync("/api/v4/users/status/ids", new[] { user.UserId, unknown, user.UserId })).Expect(200).Json.AsArray();
        Assert.Equal(new[] { user.UserId, unknown }, many.Select(s => (string?)s!["user_id"]));

        await AssertInvalidAsync(user.PostAsync("/api/v4/users/status/ids", Array.Empty<string>()), "user_ids");
        await AssertInvalidAsync(user.PostAsync("/api/v4/users/status/ids", new[] { "not-an-id" }), "user_ids");
        await AssertInvalidAsync(user.PutAsync($"/api/v4/users/{user.UserId}/status", new { user_id = stranger.UserId, status = "away" }), "user_id");
        await AssertInvalidAsync(user.PutAsync($"/api/v4/users/{user.UserId}/status", new { user_id = user.UserId, status = "out_of_office" }), "status");
        var forbidden = (await user.PutAsync($"/api/v4/users/{stranger.UserId}/status", new { user_id = stranger.UserId, status = "away" })).Expect(403).Json;
        Assert.Equal("api.context.permissions.app_error", (string?)forbidden["id"]);
        (await user.Anonymous().GetAsync($"/api/v4/users/{user.UserId}/status")).Expect(401);

        // A system admin sets anyone's status.
        var set = (await cluster.Admin.PutAsync($"/api/v4/users/{stranger.UserId}/status", new { user_id = stranger.UserId, status = "away" })).Expect(200).Json;
        Assert.Equal("away", (string?)set["status"]);
        Assert.True((bool)set["manual"]!);
        (await cluster.Admin.PutAsync($"/api/v4/users/{unknown}/status", new { user_id = unknown, status = "away" })).Expect(404);
    }

    private static async Task AssertInvalidAsync(Task<ApiResponse> request, string param)
    {
        var error = (await request).Expect(400).Json;
        Assert.Equal("api.context.invalid_param.app_error", (string?)error["id"]);
        Assert.Contains(param, (string?)error["message"], StringComparison.Ordinal);
    }

    private static async Task<JsonNode> StatusAsync(ApiClient asker, string userId) =>
        (await asker.PostAsync("/api/v4/users/status/ids", new[] { userId })).Expect(200).Json.AsArray().Single()!;

    private static Task<JsonNode> WaitForStatusAsync(ApiClient asker, string userId, string status, TimeSpan timeout) =>
        WaitAsync(() => StatusAsync(asker, userId), s => (string?)s["status"] == status, timeout, $"status {status}");

    private Task<long> SocketsAsync(ApiClient user) => cluster.ScalarAsync<long>("SELECT count(*) FROM status_sockets WHERE user_id = $1", user.UserId!);

    private static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"No {what} within {timeout.TotalSeconds} s; last: {value}");
            }
            await Task.Delay(100);
        }
    }
}
