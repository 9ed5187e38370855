using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Chat.Testing;

/// <summary>
/// A Mattermost WebSocket client for tests: connects (optionally resuming), keeps every event in arrival order,
/// matches action replies by seq_reply, and lets a test wait for events or for the server to close.
/// </summary>
public sealed class MattermostSocket : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);

    private readonly WebSocket _socket;
    private readonly Channel<JsonNode> _unread = Channel.CreateUnbounded<JsonNode>();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonNode>> _replies = new();
    private readonly List<JsonNode> _events = [];
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextAction;
    private Task _receiving = Task.CompletedTask;

    private MattermostSocket(WebSocket socket) => _socket = socket;

    /// <summary>Every event received so far (not replies), in order.</summary>
    public IReadOnlyList<JsonNode> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Completes when the connection ends, with the server's close status (null when cut off without one).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <param name="credentials">"header" (Authorization: Bearer), "cookie" (MMAUTHTOKEN) or "challenge" (the authentication_challenge action).</param>
    /// <param name="headers">More headers on the upgrade (X-Forwarded-For, say).</param>
    public static async Task<MattermostSocket> ConnectAsync(string baseUrl, string? token, string connectionId = "", long sequenceNumber = 0, string credentials = "header", IReadOnlyDictionary<string, string>? headers = null)
    {
        var socket = new ClientWebSocket();
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            socket.Options.SetRequestHeader(name, value);
        }
        if (token is not null && credentials == "header")
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }
        else if (token is not null && credentials == "cookie")
        {
            socket.Options.SetRequestHeader("Cookie", $"MMAUTHTOKEN={token}");
        }
        var url = new Uri($"{baseUrl.Replace("http://", "ws://", StringComparison.Ordinal)}/api/v4/websocket?connection_id={connectionId}&sequence_number={sequenceNumber}");
        using var timeout = new CancellationTokenSource(DefaultWait);
        await socket.ConnectAsync(url, timeout.Token);
        var client = new MattermostSocket(socket);
        client._receiving = Task.Run(client.ReceiveLoopAsync);
        if (token is not null && credentials == "challenge")
        {
            var reply = await client.SendAsync("authentication_challenge", new { token });
            if ((string?)reply["status"] != "OK")
            {
                throw new InvalidOperationException($"authentication_challenge failed: {reply.ToJsonString()}");
            }
        }
        return client;
    }

    /// <summary>
    /// A client that does not read until <see cref="StartReading"/>: a raw TCP connection with a tiny receive buffer
    /// (no autotuning), upgraded by hand, so the server soon finds it cannot write to it.
    /// </summary>
    public static async Task<MattermostSocket> ConnectStalledAsync(string baseUrl, string token)
    {
        var uri = new Uri(baseUrl);
        var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
        {
            ReceiveBufferSize = 1024,
        };
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, uri.Port);
        var request = $"GET /api/v4/websocket HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {Convert.ToBase64String(Guid.NewGuid().ToByteArray())}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n";
        await tcp.SendAsync(Encoding.ASCII.GetBytes(request));
        var response = new StringBuilder();
        var one = new byte[1];
        while (!response.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await tcp.ReceiveAsync(one) == 0)
            {
                throw new InvalidOperationException($"The upgrade failed: {response}");
            }
            response.Append((char)one[0]);
        }
        if (!response.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The upgrade failed: {response}");
        }
        var socket = WebSocket.CreateFromStream(new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true), new WebSocketCreationOptions { IsServer = false });
        return new MattermostSocket(socket);
    }

    /// <summary>Starts reading a socket from <see cref="ConnectStalledAsync"/>.</summary>
    public void StartReading() => _receiving = Task.Run(ReceiveLoopAsync);

    /// <summary>Sends an action and returns its reply.</summary>
    public async Task<JsonNode> SendAsync(string action, object? data = null, TimeSpan? timeout = null)
    {
        var seq = Interlocked.Increment(ref _nextAction);
        var reply = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[seq] = reply;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { action, seq, data });
        await _socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        return await reply.Task.WaitAsync(timeout ?? DefaultWait);
    }

    /// <summary>The next event, whatever it is.</summary>
    public async Task<JsonNode> NextEventAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultWait);
        try
        {
            return await _unread.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No event within {timeout ?? DefaultWait}; received so far: {Describe(Events)}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The socket closed ({(_closed.Task.IsCompleted ? _closed.Task.Result : null)}); received: {Describe(Events)}");
        }
    }

    /// <summary>Skips events until one named <paramref name="name"/> (and matching) arrives; returns it.</summary>
    public async Task<JsonNode> WaitForAsync(string name, Func<JsonNode, bool>? match = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultWait);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No '{name}' event; received: {Describe(Events)}");
            }
            var e = await NextEventAsync(left);
            if ((string?)e["event"] == name && (match?.Invoke(e) ?? true))
            {
                return e;
            }
        }
    }

    /// <summary>The events that arrive within <paramref name="window"/>.</summary>
    public async Task<List<JsonNode>> DrainAsync(TimeSpan window)
    {
        var got = new List<JsonNode>();
        var deadline = DateTime.UtcNow + window;
        while (DateTime.UtcNow < deadline)
        {
            using var cancel = new CancellationTokenSource(deadline - DateTime.UtcNow);
            try
            {
                got.Add(await _unread.Reader.ReadAsync(cancel.Token));
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                break;
            }
        }
        return got;
    }

    /// <summary>Closes from the client side with a close handshake.</summary>
    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                _socket.Abort();
            }
        }
        await _receiving;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }

    public static string Describe(IEnumerable<JsonNode> events) =>
        string.Join(", ", events.Select(e => $"{e["event"]}#{e["seq"]}"));

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(result.CloseStatus);
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var node = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length))!;
                message.SetLength(0);
                if (node["seq_reply"] is { } seqReply)
                {
                    if (_replies.TryRemove((long)seqReply, out var reply))
                    {
                        reply.TrySetResult(node);
                    }
                    continue;
                }
                lock (_events)
                {
                    _events.Add(node);
                }
                _unread.Writer.TryWrite(node);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _unread.Writer.TryComplete();
            foreach (var reply in _replies.Values)
            {
                reply.TrySetException(new InvalidOperationException("The socket closed before the reply came."));
            }
        }
    }
}
