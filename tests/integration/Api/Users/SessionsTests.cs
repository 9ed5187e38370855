using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// Mattermost's session API (GET /users/{id}/sessions, POST …/sessions/revoke, …/sessions/revoke/all) with its
/// permissions; a revoked session refused by every api node and its sockets closed by every realtime node at once;
/// ServiceSettings.SessionIdleTimeoutInMinutes for web sessions, with activity recorded at most every 5 minutes.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class SessionsTests(RealtimeFixture cluster)
{
    private const long Minute = 60_000;

    [Fact]
    public async Task Users_list_their_own_sessions_and_only_admins_list_anyones_without_tokens_or_csrf()
    {
        var user = await cluster.NewUserAsync(cluster.Api1, "lister");
        var mobile = await LoginAsync(user, cluster.Api2, deviceId: "android_rn-v2:abc");
        var own = (await user.GetAsync("/api/v4/users/me/sessions")).Expect(200);
        var sessions = own.Json.AsArray();
        Assert.Equal(2, sessions.Count);
        foreach (var session in sessions)
        {
            Assert.Equal("", (string?)session!["token"]);
            Assert.Equal(user.UserId, (string?)session["user_id"]);
            Assert.Equal("system_user", (string?)session["roles"]);
            Assert.True((long)session["expires_at"]! > (long)session["create_at"]!);
            Assert.IsType<JsonObject>(session["props"]);
        }
        Assert.Contains(sessions, s => (string?)s!["device_id"] == "android_rn-v2:abc");
        Assert.DoesNotContain(user.Token!, own.Body);
        Assert.DoesNotContain(mobile.Token!, own.Body);
        Assert.DoesNotContain("csrf", own.Body, StringComparison.OrdinalIgnoreCase);

        var other = await cluster.NewUserAsync(cluster.Api2, "nosy");
        (await other.GetAsync($"/api/v4/users/{user.UserId}/sessions")).Expect(403);
        Assert.Equal(2, (await cluster.Admin.GetAsync($"/api/v4/users/{user.UserId}/sessions")).Expect(200).Json.AsArray().Count);
        (await user.GetAsync("/api/v4/users/not-an-id/sessions")).Expect(400);
    }

    [Fact]
    public async Task A_revoked_session_is_refused_by_every_api_node_and_its_sockets_close_while_the_others_stay()
    {
        var user = await cluster.NewUserAsync(cluster.Api1, "revoker");
        var keptId = await OnlySessionIdAsync(user);
        var revoked = await LoginAsync(user, cluster.Api2);
        var revokedId = (string)(await user.GetAsync("/api/v4/users/me/sessions")).Expect(200).Json.AsArray().Single(s => (string)s!["id"]! != keptId)!["id"]!;
        // Both nodes have the session cached.
        (await revoked.On(cluster.Api1.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);
        (await revoked.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);
        await using var revokedSocket = await MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, revoked.Token);
        await using var keptSocket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, user.Token);
        await revokedSocket.WaitForAsync("hello");
        await keptSocket.WaitForAsync("hello");

        // Someone else may not; bad and foreign session ids are 400s.
        var other = await cluster.NewUserAsync(cluster.Api1, "intruder");
        (await other.PostAsync($"/api/v4/users/{user.UserId}/sessions/revoke", new { SessionId = revokedId })).Expect(403);
        Assert.Equal("api.context.invalid_param.app_error", (string?)(await user.PostAsync("/api/v4/users/me/sessions/revoke", new { })).Expect(400).Json["id"]);
        Assert.Equal("app.session.get.app_error", (string?)(await user.PostAsync("/api/v4/users/me/sessions/revoke", new { SessionId = "abcdefghijklmnopqrstuvwxyz" })).Expect(400).Json["id"]);
        var othersSession = await OnlySessionIdAsync(other);
        Assert.Equal("api.context.invalid_url_param.app_error", (string?)(await user.PostAsync("/api/v4/users/me/sessions/revoke", new { SessionId = othersSession })).Expect(400).Json["id"]);
        (await other.GetAsync("/api/v4/users/me")).Expect(200);

        (await user.On(cluster.Api1.BaseUrl).PostAsync($"/api/v4/users/{user.UserId}/sessions/revoke", new { SessionId = revokedId })).Expect(200);
        (await revoked.On(cluster.Api1.BaseUrl).GetAsync("/api/v4/users/me")).Expect(401);
        await EventuallyAsync(async () => (await revoked.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me")).Status == 401);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await revokedSocket.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("OK", (string?)(await keptSocket.SendAsync("ping"))["status"]);
        (await user.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);
        Assert.Equal([keptId], (await user.GetAsync("/api/v4/users/me/sessions")).Expect(200).Json.AsArray().Select(s => (string)s!["id"]!));
    }

    [Fact]
    public async Task Revoke_all_ends_every_session_of_the_user_whether_an_admin_or_the_user_asks()
    {
        var user = await cluster.NewUserAsync(cluster.Api1, "everything");
        var second = await LoginAsync(user, cluster.Api2);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, second.Token);
        await socket.WaitForAsync("hello");
        var other = await cluster.NewUserAsync(cluster.Api2, "bystander");
        (await other.PostAsync($"/api/v4/users/{user.UserId}/sessions/revoke/all", null)).Expect(403);

        (await cluster.Admin.On(cluster.Api2.BaseUrl).PostAsync($"/api/v4/users/{user.UserId}/sessions/revoke/all", null)).Expect(200);
        foreach (var client in new[] { user, second })
        {
            foreach (var node in new[] { cluster.Api1, cluster.Api2 })
            {
                await EventuallyAsync(async () => (await client.On(node.BaseUrl).GetAsync("/api/v4/users/me")).Status == 401);
            }
        }
        await socket.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        (await other.GetAsync("/api/v4/users/me")).Expect(200);

        var again = await LoginAsync(user, cluster.Api1);
        var another = await LoginAsync(user, cluster.Api2);
        (await again.PostAsync("/api/v4/users/me/sessions/revoke/all", null)).Expect(200);
        (await again.GetAsync("/api/v4/users/me")).Expect(401);
        await EventuallyAsync(async () => (await another.GetAsync("/api/v4/users/me")).Status == 401);
        Assert.Equal(0L, await cluster.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE user_id = $1", user.UserId!));
    }

    [Fact]
    public async Task Web_sessions_idle_past_the_timeout_end_mobile_ones_do_not_and_activity_is_recorded_at_most_every_five_minutes()
    {
        var user = await cluster.NewUserAsync(cluster.Api1, "idler");
        // Fresh logins no node has cached yet, made to look idle for the default 30 days and a minute.
        var web = await LoginAsync(user, cluster.Api1);
        var mobile = await LoginAsync(user, cluster.Api1, deviceId: "ios:idle");
        var now = await cluster.ScalarAsync<long>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
        foreach (var client in new[] { web, mobile })
        {
            await SetLastActivityAsync(client, now - (43_200 + 1) * Minute);
        }
        foreach (var node in new[] { cluster.Api1, cluster.Api2 })
        {
            (await web.On(node.BaseUrl).GetAsync("/api/v4/users/me")).Expect(401);
            (await mobile.On(node.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);
        }
        // Nor does a realtime node open a socket for it.
        await Assert.ThrowsAsync<WebSocketException>(() => MattermostSocket.ConnectAsync(cluster.Realtime1.BaseUrl, web.Token));

        // Six minutes idle: still live, and this request records the activity; the next one within five minutes does not write.
        var active = await LoginAsync(user, cluster.Api2);
        await SetLastActivityAsync(active, now - 6 * Minute);
        (await active.GetAsync("/api/v4/users/me")).Expect(200);
        var recorded = await LastActivityAsync(active);
        Assert.True(recorded >= now, $"last_activity_at {recorded} was not recorded (now {now})");
        await SetLastActivityAsync(active, recorded - Minute);
        (await active.On(cluster.Api1.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);
        Assert.Equal(recorded - Minute, await LastActivityAsync(active));
    }

    private async Task<ApiClient> LoginAsync(ApiClient user, ServiceProcess node, string? deviceId = null)
    {
        var client = cluster.Anonymous(node);
        var response = (await client.PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = ApiClient.DefaultPassword, DeviceId = deviceId ?? "" })).Expect(200);
        client.Token = response.Header("Token");
        return client;
    }

    private static async Task<string> OnlySessionIdAsync(ApiClient user) =>
        (string)(await user.GetAsync("/api/v4/users/me/sessions")).Expect(200).Json.AsArray().Single()!["id"]!;

    private Task SetLastActivityAsync(ApiClient client, long at) =>
        cluster.Cluster.ExecuteAsync("UPDATE sessions SET last_activity_at = $1 WHERE token_hash = sha256(convert_to($2, 'UTF8'))", at, client.Token!);

    private Task<long> LastActivityAsync(ApiClient client) =>
        cluster.ScalarAsync<long>("SELECT last_activity_at FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))", client.Token!);

    /// <summary>Invalidations reach the other nodes through the event bus: a moment after the commit.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 3 seconds");
            await Task.Delay(20);
        }
    }
}
