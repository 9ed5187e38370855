using System.Net.WebSockets;

namespace Chat.Realtime.Connections;

/// <summary>How a connection's messages reach its client: a raw Mattermost WebSocket or a SignalR hub connection.</summary>
internal interface IClientTransport
{
    /// <summary>Writes one complete JSON message; completes when the transport has taken it (so a slow client holds the writer back).</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>Ends the connection with a close handshake where the transport has one.</summary>
    Task CloseAsync(WebSocketCloseStatus status, string description, CancellationToken cancellationToken);

    /// <summary>Ends the connection at once.</summary>
    void Abort();

    /// <summary>True once the client has answered a close (or the transport has none to wait for).</summary>
    bool IsClosed { get; }
}
