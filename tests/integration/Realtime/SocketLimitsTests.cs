using System.Net;
using System.Net.WebSockets;

namespace Chat.IntegrationTests;

/// <summary>
/// ServiceSettings.MaximumWebSocketConnectionsPerUser and MaximumUnauthenticatedWebSocketConnectionsPerAddress on a
/// realtime node (refused with 429 before the upgrade), and each connection's action rate (429 replies).
/// </summary>
[Collection(LimitsCollection.Name)]
public sealed class SocketLimitsTests(LimitsFixture cluster)
{
    private static Dictionary<string, string> From(string address) => new() { ["X-Forwarded-For"] = address };

    /// <summary>The status of an upgrade that is expected to be refused.</summary>
    private async Task<HttpStatusCode> RefusedUpgradeAsync(string? token, string address)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("X-Forwarded-For", address);
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }
        var url = new Uri($"{cluster.Realtime.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal)}/api/v4/websocket");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None));
        return socket.HttpStatusCode;
    }

    /// <summary>Opens a socket, trying again while the node has yet to release a closed one's place.</summary>
    private async Task<MattermostSocket> EventuallyConnectAsync(string? token, string address)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, token, headers: From(address));
            }
            catch (WebSocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    [Fact]
    public async Task A_user_holds_at_most_the_cap_of_sockets_on_a_node()
    {
        var (token, _) = await cluster.NewUserAsync(cluster.Api1);
        var sockets = new List<MattermostSocket>();
        try
        {
            for (var i = 0; i < LimitsFixture.SocketsPerUser; i++)
            {
                var socket = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, token, headers: From(cluster.NewAddress()));
                await socket.WaitForAsync("hello");
                sockets.Add(socket);
            }
            Assert.Equal((HttpStatusCode)429, await RefusedUpgradeAsync(token, cluster.NewAddress()));

            // A socket that authenticates later is refused then, with a reply it can read, and closed.
            await using (var late = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, null, headers: From(cluster.NewAddress())))
            {
                var reply = await late.SendAsync("authentication_challenge", new { token });
                Assert.Equal("api.web_socket.connect.too_many_connections.app_error", (string?)reply["error"]!["id"]);
                Assert.Equal(WebSocketCloseStatus.PolicyViolation, await late.Closed.WaitAsync(TimeSpan.FromSeconds(10)));
            }

            // A closed socket gives its place back.
            await sockets[0].CloseAsync();
            await sockets[0].DisposeAsync();
            sockets[0] = await EventuallyConnectAsync(token, cluster.NewAddress());
            await sockets[0].WaitForAsync("hello");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_address_holds_at_most_the_cap_of_unauthenticated_sockets_until_they_authenticate()
    {
        var (token, _) = await cluster.NewUserAsync(cluster.Api2);
        var address = cluster.NewAddress();
        await using var first = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, null, headers: From(address));
        await using var second = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, null, headers: From(address));
        Assert.Equal((HttpStatusCode)429, await RefusedUpgradeAsync(null, address));
        // Other addresses, and sockets that bring their credentials, are not held up by it.
        await using var elsewhere = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, null, headers: From(cluster.NewAddress()));
        await using var withToken = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, token, headers: From(address));

        // Authenticating moves a socket to its user's places and frees the address's.
        Assert.Equal("OK", (string?)(await first.SendAsync("authentication_challenge", new { token }))["status"]);
        await using var third = await EventuallyConnectAsync(null, address);
    }

    [Fact]
    public async Task A_connection_flooding_actions_is_answered_429_and_typing_sooner()
    {
        var (token, _) = await cluster.NewUserAsync(cluster.Api1);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime.BaseUrl, token, headers: From(cluster.NewAddress()));
        await socket.WaitForAsync("hello");

        // user_typing: 1 a second and 5 more at once. The channel id is invalid, so the ones let through answer 400.
        var typing = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            var reply = await socket.SendAsync("user_typing", new { channel_id = "nope", parent_id = "" });
            typing.Add((int)reply["error"]!["status_code"]!);
        }
        Assert.All(typing.Take(6), status => Assert.Equal(400, status));
        Assert.Contains(429, typing.Skip(6));

        // Every action: 10 a second and 50 more at once.
        var statuses = new List<string>();
        for (var i = 0; i < 150; i++)
        {
            var reply = await socket.SendAsync("ping");
            statuses.Add((string?)reply["error"]?["id"] ?? (string?)reply["status"] ?? "?");
        }
        Assert.Contains("api.web_socket_router.rate_limited.app_error", statuses);
        // The connection stays open and is served again once it slows down.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Null((await socket.SendAsync("ping"))["error"]);
    }
}
