using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Chat.Authentication;
using Chat.Realtime.Connections;
using Chat.Store.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Chat.Realtime.Hubs;

/// <summary>
/// The same events for SignalR clients (.NET, JS): each arrives as the client method "event" with the Mattermost
/// message {event, data, broadcast, seq} as its argument, starting with the hello. Authentication is the session
/// token as a bearer header or the access_token query parameter (which SignalR's WebSocket clients use). Delivery,
/// audience, back-pressure and resuming are the WebSocket's: a client that reconnects to any node with
/// ?connection_id=&amp;sequence_number= in the hub URL gets its missed events.
/// </summary>
[Authorize(AuthenticationSchemes = SessionAuthenticationHandler.SchemeName)]
internal sealed class EventsHub(ConnectionLifecycle lifecycle, SocketLimits limits, IHubContext<EventsHub> hub) : Hub
{
    public const string Path = "/hubs/events";
    public const string EventMethod = "event";

    public override async Task OnConnectedAsync()
    {
        var http = Context.GetHttpContext();
        if (http?.Features.Get<Session>() is not { } session)
        {
            Context.Abort();
            return;
        }
        if (limits.TryOpenForUser(session.UserId) is not { } place)
        {
            Context.Abort();
            return;
        }
        Context.Items[typeof(SocketLimits)] = place;
        try
        {
            var query = http.Request.Query;
            var resumeId = query["connection_id"].ToString();
            var sequenceNumber = long.TryParse(query["sequence_number"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            var connection = lifecycle.Create(new HubTransport(Context, hub));
            Context.Items[typeof(ClientConnection)] = connection;
            if (!await lifecycle.OpenAsync(connection, session, Ids.IsValid(resumeId) ? resumeId : null, sequenceNumber, Context.ConnectionAborted))
            {
                Context.Abort();
            }
        }
        catch
        {
            // SignalR does not call OnDisconnectedAsync after a failed OnConnectedAsync.
            place.Dispose();
            throw;
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(typeof(SocketLimits), out var place) && place is IDisposable held)
        {
            held.Dispose();
        }
        if (Context.Items.TryGetValue(typeof(ClientConnection), out var item) && item is ClientConnection connection)
        {
            await lifecycle.EndAsync(connection);
        }
    }
}

/// <summary>A SignalR hub connection as a connection's transport: each message is one "event" invocation.</summary>
internal sealed class HubTransport(HubCallerContext context, IHubContext<EventsHub> hub) : IClientTransport
{
    private volatile bool aborted;

    public bool IsClosed => aborted;

    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        // The hub protocol writes the argument itself; a parsed element passes the JSON through unchanged.
        using var document = JsonDocument.Parse(message);
        await hub.Clients.Client(context.ConnectionId).SendAsync(EventsHub.EventMethod, document.RootElement, cancellationToken);
    }

    /// <summary>SignalR has no close code for the server to send: the connection just ends.</summary>
    public Task CloseAsync(WebSocketCloseStatus status, string description, CancellationToken cancellationToken)
    {
        Abort();
        return Task.CompletedTask;
    }

    public void Abort()
    {
        aborted = true;
        context.Abort();
    }
}
