using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// Mattermost's WebSocket on the realtime nodes, with 2 api and 2 realtime nodes on one database: delivery across
/// nodes, typing, the audience following membership, revoked sessions, resuming on the other node after a SIGKILL,
/// the resume window, and back-pressure.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class RealtimeTests(RealtimeFixture cluster, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await cluster.EnsureRunningAsync(cluster.Realtime1);
        await cluster.EnsureRunningAsync(cluster.Realtime2);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_client_on_realtime_1_gets_hello_pong_and_a_post_created_through_api_2()
    {
        var (alice, bob, teamId, channelId) = await ChannelWithTwoMembersAsync();
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token);

        var hello = await socket.NextEventAsync();
        Assert.Equal("hello", (string?)hello["event"]);
        Assert.Equal(0L, (long)hello["seq"]!);
        Assert.Matches("^[a-z0-9]{26}$", (string?)hello["data"]!["connection_id"]);
        Assert.Equal("realtime-1", (string?)hello["data"]!["server_hostname"]);
        Assert.False(string.IsNullOrEmpty((string?)hello["data"]!["server_version"]));
        Assert.Equal(bob.UserId, (string?)hello["broadcast"]!["user_id"]);

        var pong = await socket.SendAsync("ping");
        Assert.Equal("OK", (string?)pong["status"]);
        Assert.Equal("pong", (string?)pong["data"]!["text"]);
        Assert.False(string.IsNullOrEmpty((string?)pong["data"]!["node_id"]));
        Assert.False(string.IsNullOrEmpty((string?)pong["data"]!["version"]));
        Assert.InRange((long)pong["data"]!["server_time"]!, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var created = await alice.On(cluster.Api2.BaseUrl).CreatePostAsync(channelId, "hello from api-2");
        var posted = await socket.WaitForAsync("posted", e => PostOf(e)["id"]?.GetValue<string>() == created.Id());
        var post = PostOf(posted);
        Assert.Equal("hello from api-2", (string?)post["message"]);
        Assert.Equal(channelId, (string?)post["channel_id"]);
        Assert.Equal(alice.UserId, (string?)post["user_id"]);
        Assert.Equal("O", (string?)posted["data"]!["channel_type"]);
        Assert.Equal(teamId, (string?)posted["data"]!["team_id"]);
        Assert.Equal($"@{alice.Username}", (string?)posted["data"]!["sender_name"]);
        Assert.False(string.IsNullOrEmpty((string?)posted["data"]!["channel_name"]));
        Assert.Equal(channelId, (string?)posted["broadcast"]!["channel_id"]);
        Assert.Null(posted["membership"]);
        AssertContiguous(socket.Events, from: 0);
    }

    [Fact]
    public async Task Credentials_come_by_header_cookie_or_challenge_and_bad_ones_are_refused()
    {
        var user = await cluster.NewUserAsync(cluster.Api2);
        await using (var cookie = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, user.Token, credentials: "cookie"))
        {
            Assert.Equal("hello", (string?)(await cookie.NextEventAsync())["event"]);
        }

        await using (var anonymous = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, token: null))
        {
            var refused = await anonymous.SendAsync("ping");
            Assert.Equal("FAIL", (string?)refused["status"]);
            Assert.Equal(401, (int)refused["error"]!["status_code"]!);
            var wrong = await anonymous.SendAsync("authentication_challenge", new { token = "not-a-token" });
            Assert.Equal("FAIL", (string?)wrong["status"]);
            Assert.Equal("OK", (string?)(await anonymous.SendAsync("authentication_challenge", new { token = user.Token }))["status"]);
            Assert.Equal("hello", (string?)(await anonymous.NextEventAsync())["event"]);
            Assert.Equal("OK", (string?)(await anonymous.SendAsync("ping"))["status"]);
            var unknown = await anonymous.SendAsync("no_such_action");
            Assert.Equal("FAIL", (string?)unknown["status"]);
            Assert.Equal(400, (int)unknown["error"]!["status_code"]!);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(cluster.Realtime1.BaseUrl, s => s.Options.SetRequestHeader("Authorization", "Bearer wrongtoken")));
        // A page on another site cannot ride the session cookie.
        Assert.Equal(HttpStatusCode.Forbidden, await UpgradeStatusAsync(cluster.Realtime1.BaseUrl, s =>
        {
            s.Options.SetRequestHeader("Cookie", $"MMAUTHTOKEN={user.Token}");
            s.Options.SetRequestHeader("Origin", "https://evil.example");
        }));
        Assert.Equal(HttpStatusCode.BadRequest, await UpgradeStatusAsync(cluster.Realtime1.BaseUrl, _ => { }, "?connection_id=not-an-id"));
        Assert.Equal(HttpStatusCode.BadRequest, await UpgradeStatusAsync(cluster.Realtime1.BaseUrl, _ => { }, "?sequence_number=-1"));

        // Not an upgrade: an AppError.
        using var plain = await cluster.Http.GetAsync($"{cluster.Realtime1.BaseUrl}/api/v4/websocket");
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        var error = JsonNode.Parse(await plain.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)error["status_code"]!);
        Assert.False(string.IsNullOrEmpty((string?)error["id"]));
    }

    [Fact]
    public async Task Typing_from_a_user_on_realtime_2_reaches_members_on_realtime_1_but_not_the_typist()
    {
        var (alice, bob, teamId, channelId) = await ChannelWithTwoMembersAsync();
        var outsider = await cluster.NewUserAsync(cluster.Api1);
        await alice.AddToTeamAsync(teamId, outsider);
        await using var bobSocket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token);
        await using var aliceSocket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, alice.Token, credentials: "challenge");
        await using var outsiderSocket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, outsider.Token);
        await bobSocket.WaitForAsync("hello");
        await aliceSocket.WaitForAsync("hello");
        await outsiderSocket.WaitForAsync("hello");

        var root = await alice.CreatePostAsync(channelId, "thread root");
        var reply = await aliceSocket.SendAsync("user_typing", new { channel_id = channelId, parent_id = root.Id() });
        Assert.Equal("OK", (string?)reply["status"]);
        var typing = await bobSocket.WaitForAsync("typing");
        Assert.Equal(alice.UserId, (string?)typing["data"]!["user_id"]);
        Assert.Equal(root.Id(), (string?)typing["data"]!["parent_id"]);
        Assert.Equal(channelId, (string?)typing["broadcast"]!["channel_id"]);
        Assert.Equal(true, (bool?)typing["broadcast"]!["omit_users"]![alice.UserId!]);

        // Only members may type; the channel must be an id.
        var refused = await outsiderSocket.SendAsync("user_typing", new { channel_id = channelId, parent_id = "" });
        Assert.Equal("FAIL", (string?)refused["status"]);
        Assert.Equal(403, (int)refused["error"]!["status_code"]!);
        var invalid = await aliceSocket.SendAsync("user_typing", new { channel_id = "nope", parent_id = "" });
        Assert.Equal(400, (int)invalid["error"]!["status_code"]!);

        // A marker after the typing: the typist and the outsider got no typing event before it.
        var marker = await bob.CreatePostAsync(channelId, "marker");
        await aliceSocket.WaitForAsync("posted", e => PostOf(e)["id"]?.GetValue<string>() == marker.Id());
        Assert.DoesNotContain(aliceSocket.Events, e => (string?)e["event"] == "typing");
        Assert.DoesNotContain(outsiderSocket.Events, e => (string?)e["event"] == "typing" || (string?)e["event"] == "posted");
        AssertContiguous(bobSocket.Events, from: 0);
        AssertContiguous(aliceSocket.Events, from: 0);
    }

    [Fact]
    public async Task A_user_removed_from_a_channel_stops_getting_its_events_at_once()
    {
        var (alice, bob, teamId, channelId) = await ChannelWithTwoMembersAsync();
        var other = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(other, bob);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token);
        await socket.WaitForAsync("hello");

        var before = await alice.CreatePostAsync(channelId, "before removal");
        await socket.WaitForAsync("posted", e => PostOf(e)["id"]?.GetValue<string>() == before.Id());

        (await alice.On(cluster.Api2.BaseUrl).DeleteAsync($"/api/v4/channels/{channelId}/members/{bob.UserId}")).Expect(200);
        // Posted right after the removal, before bob's socket could possibly have noticed anything.
        var after = await alice.CreatePostAsync(channelId, "after removal");
        var marker = await alice.CreatePostAsync(other, "marker in the other channel");

        var removed = await socket.WaitForAsync("user_removed");
        Assert.Equal(channelId, (string?)removed["data"]!["channel_id"]);
        await socket.WaitForAsync("posted", e => PostOf(e)["id"]?.GetValue<string>() == marker.Id());
        Assert.DoesNotContain(socket.Events, e => (string?)e["event"] == "posted" && PostOf(e)["id"]?.GetValue<string>() == after.Id());
        AssertContiguous(socket.Events, from: 0);

        // Joining again brings the channel's events back.
        await alice.AddToChannelAsync(channelId, bob);
        var again = await alice.CreatePostAsync(channelId, "welcome back");
        await socket.WaitForAsync("posted", e => PostOf(e)["id"]?.GetValue<string>() == again.Id());
    }

    [Fact]
    public async Task A_revoked_sessions_sockets_are_closed_and_other_sessions_stay()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var second = new ApiClient(cluster.Http, cluster.Api2.BaseUrl);
        await second.LoginAsync(user.Username!);
        await using var revoked = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, user.Token);
        await using var kept = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, second.Token);
        await revoked.WaitForAsync("hello");
        await kept.WaitForAsync("hello");

        (await user.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/users/logout", null)).Expect(200);
        var closed = await revoked.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closed);
        Assert.Equal("OK", (string?)(await kept.SendAsync("ping"))["status"]);
        Assert.False(kept.Closed.IsCompleted);

        // The revoked token cannot open a socket again.
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(cluster.Realtime2.BaseUrl, s => s.Options.SetRequestHeader("Authorization", $"Bearer {user.Token}")));
    }

    [Fact]
    public async Task A_client_resumes_on_realtime_2_after_realtime_1_is_killed_with_nothing_missed_or_repeated()
    {
        var (alice, bob, _, channelId) = await ChannelWithTwoMembersAsync();
        var first = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token);
        var hello = await first.NextEventAsync();
        var connectionId = (string)hello["data"]!["connection_id"]!;
        var seen = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var post = await alice.CreatePostAsync(channelId, $"before {i}");
            await first.WaitForAsync("posted", e => PostOf(e)["id"]?.GetValue<string>() == post.Id());
            seen.Add(post.Id());
        }
        var next = (long)first.Events[^1]["seq"]! + 1;

        // No graceful anything: the node and its in-memory state are gone.
        cluster.Realtime1.Kill();
        await first.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        await first.DisposeAsync();
        var missed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            missed.Add((await alice.On(i % 2 == 0 ? cluster.Api1.BaseUrl : cluster.Api2.BaseUrl).CreatePostAsync(channelId, $"while away {i}")).Id());
        }

        await using var resumed = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token, connectionId, next);
        var replayed = new List<JsonNode>();
        for (var i = 0; i < missed.Count; i++)
        {
            replayed.Add(await resumed.NextEventAsync());
        }
        // Exactly the missed posts, in order, numbered on from where the client was: no hello, no repeats.
        Assert.Equal(missed, replayed.Select(e => (string)PostOf(e)["id"]!));
        AssertContiguous(replayed, from: next);

        var live = await alice.On(cluster.Api2.BaseUrl).CreatePostAsync(channelId, "live again");
        var liveEvent = await resumed.NextEventAsync();
        Assert.Equal(live.Id(), (string?)PostOf(liveEvent)["id"]);
        Assert.Equal(next + missed.Count, (long)liveEvent["seq"]!);
        Assert.DoesNotContain(resumed.Events, e => (string?)e["event"] == "hello");
        Assert.Equal("realtime-2", await cluster.ScalarAsync<string>("SELECT node FROM websocket_connections WHERE id = $1", connectionId));
    }

    [Fact]
    public async Task Through_the_edge_a_client_resumes_on_whichever_realtime_node_is_left()
    {
        await using var edge = await cluster.Cluster.StartEdgeAsync();
        var (alice, bob, _, channelId) = await ChannelWithTwoMembersAsync();
        var viaEdge = alice.On(edge.BaseUrl);
        var first = await MattermostSocket.ConnectAsync(edge.BaseUrl, bob.Token);
        var hello = await first.NextEventAsync();
        var connectionId = (string)hello["data"]!["connection_id"]!;
        var served = (string)hello["data"]!["server_hostname"]!;
        var post = await viaEdge.CreatePostAsync(channelId, "through the edge");
        await first.WaitForAsync("posted", e => PostOf(e)["id"]?.GetValue<string>() == post.Id());
        var next = (long)first.Events[^1]["seq"]! + 1;

        (served == "realtime-1" ? cluster.Realtime1 : cluster.Realtime2).Kill();
        await first.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        await first.DisposeAsync();
        var missed = await viaEdge.CreatePostAsync(channelId, "while the node is gone");

        await using var resumed = await MattermostSocket.ConnectAsync(edge.BaseUrl, bob.Token, connectionId, next);
        var e = await resumed.NextEventAsync();
        Assert.Equal(missed.Id(), (string?)PostOf(e)["id"]);
        Assert.Equal(next, (long)e["seq"]!);
        Assert.NotEqual(served, await cluster.ScalarAsync<string>("SELECT node FROM websocket_connections WHERE id = $1", connectionId));
    }

    [Fact]
    public async Task A_node_that_stops_gracefully_lets_its_clients_resume_on_the_other()
    {
        var (alice, bob, _, channelId) = await ChannelWithTwoMembersAsync();
        var first = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token);
        var connectionId = (string)(await first.NextEventAsync())["data"]!["connection_id"]!;
        var post = await alice.CreatePostAsync(channelId, "one");
        await first.WaitForAsync("posted");
        var next = (long)first.Events[^1]["seq"]! + 1;

        var stopping = cluster.Realtime2.StopAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await first.Closed.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, await stopping);
        await first.DisposeAsync();
        var missed = await alice.CreatePostAsync(channelId, "two");

        await using var resumed = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token, connectionId, next);
        var e = await resumed.NextEventAsync();
        Assert.Equal(missed.Id(), (string?)PostOf(e)["id"]);
        Assert.Equal(next, (long)e["seq"]!);
        Assert.NotEqual(post.Id(), (string?)PostOf(e)["id"]);
    }

    [Fact]
    public async Task Past_the_resume_window_or_with_a_bad_resume_the_client_gets_a_new_connection_and_hello()
    {
        var (alice, bob, _, channelId) = await ChannelWithTwoMembersAsync();
        // Signed up first: a sign-up is an event for everyone.
        var mallory = await cluster.NewUserAsync(cluster.Api2);
        var first = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token);
        var connectionId = (string)(await first.NextEventAsync())["data"]!["connection_id"]!;
        await alice.CreatePostAsync(channelId, "seen");
        await first.WaitForAsync("posted");
        await first.CloseAsync();
        await first.DisposeAsync();

        // Another user cannot take the connection over, and a client claiming more than the log holds cannot resume.
        await AssertNewConnectionAsync(mallory.Token!, connectionId, 2);
        await AssertNewConnectionAsync(bob.Token!, connectionId, 1000);
        await AssertNewConnectionAsync(bob.Token!, "abcdefghijklmnopqrstuvwxyz", 2);

        // Within the window the same connection continues (after the attempts above, which changed nothing for it).
        await using (var within = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token, connectionId, 2))
        {
            Assert.Equal("OK", (string?)(await within.SendAsync("ping"))["status"]);
            Assert.Empty(await within.DrainAsync(TimeSpan.FromMilliseconds(500)));
            await within.CloseAsync();
        }

        // Past the window (15 minutes by default), as if the client had been away that long.
        await cluster.ScalarAsync<int>("WITH u AS (UPDATE websocket_connections SET last_seen = now() - interval '16 minutes' WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u", connectionId);
        var hello = await AssertNewConnectionAsync(bob.Token!, connectionId, 2);
        Assert.NotEqual(connectionId, (string?)hello["data"]!["connection_id"]);
    }

    [Fact]
    public async Task A_slow_consumer_is_closed_without_delaying_the_others()
    {
        var (alice, bob, teamId, channelId) = await ChannelWithTwoMembersAsync();
        var slowUser = await cluster.NewUserAsync(cluster.Api1);
        await alice.AddToTeamAsync(teamId, slowUser);
        await alice.AddToChannelAsync(channelId, slowUser);
        await using var fast = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token);
        await fast.WaitForAsync("hello");
        await using var slow = await MattermostSocket.ConnectStalledAsync(cluster.Realtime1.BaseUrl, slowUser.Token!);
        await WaitForConnectionRowAsync(slowUser);

        // 6 MB in 4 KB events over about a second: more than a socket that is not read can hold (the kernel caps its
        // send buffer at 4 MB, plus the 256 queued events), while a client that reads keeps up easily.
        const int count = 1500;
        var started = DateTime.UtcNow;
        await AppendFloodAsync(channelId, Enumerable.Range(0, count).Select(i => ("flood", i)), size: 4096, pause: TimeSpan.FromMilliseconds(50));
        await fast.WaitForAsync("flood", e => (int)e["data"]!["n"]! == count - 1, TimeSpan.FromSeconds(60));
        var elapsed = DateTime.UtcNow - started;
        Assert.Equal(Enumerable.Range(0, count), fast.Events.Where(e => (string?)e["event"] == "flood").Select(e => (int)e["data"]!["n"]!));
        AssertContiguous(fast.Events, from: 0);
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"the fast client took {elapsed} for {count} events of 4 KB");

        // The slow one was cut off (no close frame: it was not reading) long before it could get everything.
        slow.StartReading();
        Assert.Null(await slow.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
        output.WriteLine($"the slow client got {slow.Events.Count(e => (string?)e["event"] == "flood")} of {count} events before it was cut off; the fast one took {elapsed}");
        Assert.InRange(slow.Events.Count(e => (string?)e["event"] == "flood"), 0, count - 1);
        AssertContiguous(slow.Events, from: 0);
    }

    [Fact]
    public async Task Under_pressure_typing_is_dropped_first_and_numbering_survives_a_resume_on_the_other_node()
    {
        var (alice, bob, _, channelId) = await ChannelWithTwoMembersAsync();
        await using var stalled = await MattermostSocket.ConnectStalledAsync(cluster.Realtime1.BaseUrl, bob.Token!);
        await WaitForConnectionRowAsync(bob);

        // 40 ordinary events around 3,000 typing events, 8 KB each: far more than the socket's buffers and the send
        // queue hold, yet never more ordinary events than the queue holds.
        const int typing = 3000;
        await AppendFloodAsync(channelId, [
            .. Enumerable.Range(0, 20).Select(i => ("flood", i)),
            .. Enumerable.Range(0, typing).Select(i => ("typing", i)),
            .. Enumerable.Range(20, 20).Select(i => ("flood", i)),
        ]);
        stalled.StartReading();
        await stalled.WaitForAsync("flood", e => (int)e["data"]!["n"]! == 39, TimeSpan.FromSeconds(60));
        Assert.False(stalled.Closed.IsCompleted, "the connection was closed instead of dropping typing events");
        Assert.Equal(Enumerable.Range(0, 40), stalled.Events.Where(e => (string?)e["event"] == "flood").Select(e => (int)e["data"]!["n"]!));
        var typingGot = stalled.Events.Where(e => (string?)e["event"] == "typing").Select(e => (int)e["data"]!["n"]!).ToList();
        Assert.InRange(typingGot.Count, 0, typing - 1);
        Assert.Equal(typingGot.Order(), typingGot);
        AssertContiguous(stalled.Events, from: 0);
        var connectionId = (string)stalled.Events[0]["data"]!["connection_id"]!;
        var next = (long)stalled.Events[^1]["seq"]! + 1;

        // Killed at once: only the checkpoints written before sends that followed drops record the drops.
        cluster.Realtime1.Kill();
        var posts = new[] { await alice.CreatePostAsync(channelId, "after the flood 1"), await alice.CreatePostAsync(channelId, "after the flood 2") };
        await using var resumed = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token, connectionId, next);
        var replayed = new[] { await resumed.NextEventAsync(), await resumed.NextEventAsync() };
        Assert.True(replayed.All(e => (string?)e["event"] == "posted"), $"expected the two posts, got {MattermostSocket.Describe(replayed)}");
        Assert.Equal(posts.Select(p => p.Id()), replayed.Select(e => (string?)PostOf(e)["id"]));
        AssertContiguous(replayed, from: next);
        Assert.Empty(await resumed.DrainAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task SignalR_clients_get_the_same_events_and_resume_the_same_way()
    {
        var (alice, bob, _, channelId) = await ChannelWithTwoMembersAsync();
        var first = await SignalRTestClient.ConnectAsync(cluster.Realtime1.BaseUrl, bob.Token!);
        var hello = await first.NextEventAsync();
        Assert.Equal("hello", (string?)hello["event"]);
        Assert.Equal(0L, (long)hello["seq"]!);
        var connectionId = (string)hello["data"]!["connection_id"]!;

        var post = await alice.On(cluster.Api2.BaseUrl).CreatePostAsync(channelId, "to signalr");
        var posted = await first.NextEventAsync();
        Assert.Equal("posted", (string?)posted["event"]);
        Assert.Equal(post.Id(), (string?)PostOf(posted)["id"]);
        Assert.Equal(1L, (long)posted["seq"]!);
        Assert.Equal(channelId, (string?)posted["broadcast"]!["channel_id"]);
        await first.DisposeAsync();

        var missed = await alice.CreatePostAsync(channelId, "while away");
        await using var resumed = await SignalRTestClient.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token!, connectionId, 2);
        var replayed = await resumed.NextEventAsync();
        Assert.Equal(missed.Id(), (string?)PostOf(replayed)["id"]);
        Assert.Equal(2L, (long)replayed["seq"]!);

        // Same authentication as the WebSocket; a revoked session's hub connection ends.
        await Assert.ThrowsAsync<WebSocketException>(() => SignalRTestClient.ConnectAsync(cluster.Realtime1.BaseUrl, "wrongtoken"));
        (await bob.PostAsync("/api/v4/users/logout", null)).Expect(200);
        await resumed.Closed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    /// <summary>The socket's connection is open (its checkpoint row exists): events appended from now on reach it.</summary>
    private async Task WaitForConnectionRowAsync(ApiClient user)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await cluster.ScalarAsync<long>("SELECT count(*) FROM websocket_connections WHERE user_id = $1", user.UserId!) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the connection never opened");
            await Task.Delay(20);
        }
    }

    /// <summary>Appends events of <paramref name="size"/> bytes to the channel, in order, 100 per transaction.</summary>
    private async Task AppendFloodAsync(string channelId, IEnumerable<(string Event, int N)> events, int size = 8192, TimeSpan? pause = null)
    {
        var body = new string('x', size);
        foreach (var chunk in events.Chunk(100))
        {
            if (pause is { } wait)
            {
                await Task.Delay(wait);
            }
            await cluster.AppendEventsAsync([.. chunk.Select(e => JsonSerializer.Serialize(new
            {
                @event = e.Event,
                data = new { n = e.N, body },
                broadcast = new { channel_id = channelId },
            }))]);
        }
    }

    private async Task<JsonNode> AssertNewConnectionAsync(string token, string connectionId, long sequenceNumber)
    {
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, token, connectionId, sequenceNumber);
        var hello = await socket.NextEventAsync();
        Assert.Equal("hello", (string?)hello["event"]);
        Assert.Equal(0L, (long)hello["seq"]!);
        Assert.NotEqual(connectionId, (string?)hello["data"]!["connection_id"]);
        await socket.CloseAsync();
        return hello;
    }

    private async Task<(ApiClient Alice, ApiClient Bob, string TeamId, string ChannelId)> ChannelWithTwoMembersAsync()
    {
        var users = await Task.WhenAll(cluster.NewUserAsync(cluster.Api1, "alice"), cluster.NewUserAsync(cluster.Api2, "bob"));
        var (alice, bob) = (users[0], users[1]);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(channelId, bob);
        // A status bob chose: his sockets opening and closing change no status, so no status_change joins the
        // events these tests count exactly.
        (await bob.PutAsync($"/api/v4/users/{bob.UserId}/status", new { user_id = bob.UserId, status = "dnd" })).Expect(200);
        return (alice, bob, teamId, channelId);
    }

    private static JsonNode PostOf(JsonNode e) => JsonNode.Parse((string)e["data"]!["post"]!)!;

    private static void AssertContiguous(IReadOnlyList<JsonNode> events, long from)
    {
        var seqs = events.Select(e => (long)e["seq"]!).ToList();
        Assert.True(seqs.SequenceEqual(Enumerable.Range(0, seqs.Count).Select(i => from + i)), $"seqs are not contiguous from {from}: {MattermostSocket.Describe(events)}");
    }

    private static async Task<HttpStatusCode> UpgradeStatusAsync(string baseUrl, Action<ClientWebSocket> configure, string query = "")
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure(socket);
        try
        {
            await socket.ConnectAsync(new Uri($"{baseUrl.Replace("http://", "ws://", StringComparison.Ordinal)}/api/v4/websocket{query}"), CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
        socket.Abort();
        return socket.HttpStatusCode;
    }
}
