using System.Net.WebSockets;
using Chat.Realtime.Connections;

namespace Chat.Realtime.WebSockets;

/// <summary>Mattermost's WebSocket: one text message per JSON message.</summary>
internal sealed class WebSocketTransport(WebSocket socket) : IClientTransport
{
    public bool IsClosed => socket.State is WebSocketState.Closed or WebSocketState.Aborted;

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken);

    public async Task CloseAsync(WebSocketCloseStatus status, string description, CancellationToken cancellationToken)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(status, description, cancellationToken);
        }
    }

    public void Abort() => socket.Abort();
}
