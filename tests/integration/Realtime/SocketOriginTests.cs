using System.Net;
using System.Net.WebSockets;

namespace Chat.IntegrationTests;

/// <summary>
/// A page on another site cannot ride a user's session cookie into their event stream, on the SignalR hub as on
/// the WebSocket. The hub is opened as a browser page on another site can open it: a WebSocket upgrade of
/// /hubs/events without negotiation (a GET, which the CSRF check does not cover).
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class SocketOriginTests(RealtimeFixture cluster)
{
    [Fact]
    public async Task The_hub_refuses_a_session_cookie_sent_from_another_origin()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var realtime = cluster.Realtime1.BaseUrl;
        var site = $"http://{new Uri(realtime).Authority}";

        async Task<HttpStatusCode> UpgradeAsync(string path, string? origin, bool cookie)
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            if (cookie)
            {
                socket.Options.SetRequestHeader("Cookie", $"MMAUTHTOKEN={user.Token}");
            }
            else
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {user.Token}");
            }
            if (origin is not null)
            {
                socket.Options.SetRequestHeader("Origin", origin);
            }
            try
            {
                await socket.ConnectAsync(new Uri($"{realtime.Replace("http://", "ws://", StringComparison.Ordinal)}{path}"), CancellationToken.None);
            }
            catch (WebSocketException)
            {
                return socket.HttpStatusCode;
            }
            socket.Abort();
            return socket.HttpStatusCode;
        }

        foreach (var path in new[] { "/hubs/events", "/api/v4/websocket" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, await UpgradeAsync(path, "https://evil.example", cookie: true));
            Assert.Equal(HttpStatusCode.Forbidden, await UpgradeAsync(path, "null", cookie: true));
            // Same host, other scheme or port: another origin.
            Assert.Equal(HttpStatusCode.Forbidden, await UpgradeAsync(path, $"http://{new Uri(realtime).Host}:1", cookie: true));
            // The site itself, a client that is no page, and a token the page had to know: accepted.
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeAsync(path, site, cookie: true));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeAsync(path, null, cookie: true));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeAsync(path, "https://evil.example", cookie: false));
        }
    }
}
