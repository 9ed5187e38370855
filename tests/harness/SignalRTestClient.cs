using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Chat.Testing;

/// <summary>
/// A SignalR client speaking the hub protocol's JSON encoding over a WebSocket (no negotiation, as SignalR clients
/// may do with skipNegotiation): the handshake, then records separated by 0x1E. Collects the arguments of the
/// hub's "event" invocations in order.
/// </summary>
public sealed class SignalRTestClient : IAsyncDisposable
{
    private const char Separator = '\u001e';
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonNode> _events = Channel.CreateUnbounded<JsonNode>();
    private readonly TaskCompletionSource<string?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;

    /// <summary>Completes when the connection ends: the close record's error, if the server sent one.</summary>
    public Task<string?> Closed => _closed.Task;

    public static async Task<SignalRTestClient> ConnectAsync(string baseUrl, string token, string connectionId = "", long sequenceNumber = 0)
    {
        var client = new SignalRTestClient();
        var url = $"{baseUrl.Replace("http://", "ws://", StringComparison.Ordinal)}/hubs/events?access_token={Uri.EscapeDataString(token)}&connection_id={connectionId}&sequence_number={sequenceNumber}";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await client._socket.ConnectAsync(new Uri(url), timeout.Token);
        await client._socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"protocol\":\"json\",\"version\":1}}{Separator}"), WebSocketMessageType.Text, true, timeout.Token);
        var handshake = JsonNode.Parse((await client.ReadRecordsAsync(timeout.Token))[0])!;
        if (handshake["error"] is { } error)
        {
            throw new InvalidOperationException($"SignalR handshake failed: {error}");
        }
        client._receiving = Task.Run(client.ReceiveLoopAsync);
        return client;
    }

    public async Task<JsonNode> NextEventAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        return await _events.Reader.ReadAsync(cancel.Token);
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                foreach (var record in await ReadRecordsAsync(CancellationToken.None))
                {
                    var message = JsonNode.Parse(record)!;
                    switch ((int)message["type"]!)
                    {
                        case 1 when (string?)message["target"] == "event":
                            _events.Writer.TryWrite(message["arguments"]![0]!.DeepClone());
                            break;
                        case 7:
                            _closed.TrySetResult((string?)message["error"]);
                            return;
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    /// <summary>Reads one WebSocket message and splits it into its records.</summary>
    private async Task<List<string>> ReadRecordsAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var text = new StringBuilder();
        WebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("closed");
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        while (!result.EndOfMessage || text.Length == 0 || text[^1] != Separator);
        return [.. text.ToString().Split(Separator, StringSplitOptions.RemoveEmptyEntries)];
    }
}
