using System.Globalization;
using Chat.Authentication;
using Chat.Realtime.Connections;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Microsoft.AspNetCore.Authentication;

namespace Chat.Realtime.WebSockets;

public static class WebSocketEndpoints
{
    /// <summary>GET /api/v4/websocket: Mattermost's WebSocket, with ?connection_id=&amp;sequence_number= to resume.</summary>
    public static IEndpointRouteBuilder MapWebSocketEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v4/websocket", ConnectAsync);
        return app;
    }

    private static async Task ConnectAsync(HttpContext context, WebSocketProtocol protocol, SocketLimits limits, RealtimeOptions options)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw AppErrorException.BadRequest("api.web_socket.connect.upgrade.app_error", "This endpoint only accepts WebSocket upgrades.");
        }
        var query = context.Request.Query;
        var resumeId = query["connection_id"].ToString();
        if (resumeId.Length > 0 && !Ids.IsValid(resumeId))
        {
            throw AppErrorException.InvalidParam("connection_id");
        }
        long sequenceNumber = 0;
        var rawSequence = query["sequence_number"].ToString();
        if (rawSequence.Length > 0 && !(long.TryParse(rawSequence, NumberStyles.None, CultureInfo.InvariantCulture, out sequenceNumber) && sequenceNumber >= 0))
        {
            throw AppErrorException.InvalidParam("sequence_number");
        }

        // Credentials on the upgrade (Authorization header, MMAUTHTOKEN cookie) are checked now; without any, the
        // socket opens and waits for the authentication_challenge action.
        var authentication = await context.AuthenticateAsync(SessionAuthenticationHandler.SchemeName);
        if (authentication.Failure is not null)
        {
            throw AppErrorException.Unauthorized();
        }
        var session = authentication.Succeeded ? context.Features.Get<Session>() : null;
        // Refused before the upgrade, so a client over its cap gets an answer it can read.
        using var place = (session is not null ? limits.TryOpenForUser(session.UserId) : limits.TryOpenUnauthenticated(Address(context)))
            ?? throw TooManySockets();

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.KeepAliveInterval,
            KeepAliveTimeout = options.KeepAliveInterval,
        });
        await protocol.RunAsync(socket, session, place, resumeId.Length > 0 ? resumeId : null, sequenceNumber, context.RequestAborted);
    }

    internal static AppErrorException TooManySockets() =>
        new(429, "api.web_socket.connect.too_many_connections.app_error", "Too many open connections. Close some and try again.");

    /// <summary>The client's address, as the forwarded-headers step left it (the edge's view when it is trusted).</summary>
    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var address => address.ToString(),
    };
}
