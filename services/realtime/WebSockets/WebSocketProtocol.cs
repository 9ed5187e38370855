using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.RateLimiting;
using Chat.Realtime.Connections;
using Chat.Realtime.Presence;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Npgsql;

namespace Chat.Realtime.WebSockets;

/// <summary>
/// Mattermost's WebSocket protocol on one accepted socket: authentication (already done from the header or
/// cookie, or by the authentication_challenge action), opening or resuming the connection, then the client's
/// actions — each answered with {status, seq_reply} — until the socket closes.
/// </summary>
internal sealed partial class WebSocketProtocol(
    ConnectionLifecycle lifecycle,
    PresenceTracker presence,
    SocketLimits limits,
    SessionStore sessions,
    ChannelStore channels,
    IEventLog log,
    NodeInfo node,
    RealtimeOptions options,
    ILogger<WebSocketProtocol> logger)
{
    /// <param name="place">The socket's place under SocketLimits: the user's, or the address's until it authenticates.</param>
    public async Task RunAsync(WebSocket socket, Session? session, IDisposable place, string? resumeId, long sequenceNumber, CancellationToken requestAborted)
    {
        var connection = lifecycle.Create(new WebSocketTransport(socket));
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, connection.Aborted);
        var state = new State(resumeId, sequenceNumber, place, options);
        try
        {
            if (session is not null)
            {
                await OpenAsync(connection, state, session, ending.Token);
            }
            else
            {
                // Without credentials on the upgrade, the client has a while to send authentication_challenge.
                _ = Task.Delay(options.AuthenticationTimeout, ending.Token).ContinueWith(_ =>
                {
                    if (state.Session is null)
                    {
                        _ = connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "not authenticated");
                    }
                }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
            await ReceiveLoopAsync(socket, connection, state, ending.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The client went away or the connection was cut off.
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            LogDatabaseFailed(connection.Id, e.Message);
            await connection.CloseAsync(WebSocketCloseStatus.InternalServerError, "try again");
        }
        finally
        {
            await lifecycle.EndAsync(connection);
            state.Place.Dispose();
        }
    }

    private async Task OpenAsync(ClientConnection connection, State state, Session session, CancellationToken cancellationToken)
    {
        state.Session = session;
        if (!await lifecycle.OpenAsync(connection, session, state.ResumeId, state.SequenceNumber, cancellationToken))
        {
            connection.Abort("closed while opening");
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, ClientConnection connection, State state, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= options.MaxActionBytes)
                        {
                            await connection.CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big");
                            return;
                        }
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, options.MaxActionBytes));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "closed by the client");
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "actions are JSON text");
                    return;
                }
                await HandleAsync(connection, state, buffer.AsMemory(0, length), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleAsync(ClientConnection connection, State state, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        string action;
        long seq;
        JsonElement data;
        try
        {
            using var document = JsonDocument.Parse(message);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("seq", out var s) || !s.TryGetInt64(out seq) || seq <= 0)
            {
                // Without a seq there is nothing to reply to: an answer would look like an event to the client.
                LogUnanswerable(connection.Id);
                return;
            }
            action = root.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
            data = root.TryGetProperty("data", out var d) ? d.Clone() : default;
        }
        catch (JsonException)
        {
            LogUnanswerable(connection.Id);
            return;
        }

        // Every action costs the connection a share of its rate, typing a larger one: a client flooding either is
        // answered 429 without any work (typing goes to every member of a channel on every node).
        if (!state.Actions.Take(GcraCell.Now()).Allowed || (action == "user_typing" && !state.Typing.Take(GcraCell.Now()).Allowed))
        {
            connection.SendReply(Replies.Error(seq, 429, "api.web_socket_router.rate_limited.app_error", "Too many actions. Please slow down."));
            return;
        }
        if (action == "authentication_challenge")
        {
            await AuthenticateAsync(connection, state, seq, data, cancellationToken);
            return;
        }
        if (state.Session is null)
        {
            connection.SendReply(Replies.Error(seq, 401, "api.web_socket_router.not_authenticated.app_error", "The connection is not authenticated; send authentication_challenge first."));
            return;
        }
        switch (action)
        {
            case "ping":
                connection.SendReply(Replies.Pong(seq, node));
                break;
            case "user_typing":
                presence.Active(state.Session.UserId);
                connection.SendReply(await TypingAsync(state.Session, seq, data, cancellationToken));
                break;
            case "user_update_active_status":
                connection.SendReply(ActiveStatus(state.Session, seq, data));
                break;
            default:
                connection.SendReply(Replies.Error(seq, 400, "api.web_socket_router.bad_action.app_error", $"Unknown action '{action}'."));
                break;
        }
    }

    private async Task AuthenticateAsync(ClientConnection connection, State state, long seq, JsonElement data, CancellationToken cancellationToken)
    {
        if (state.Session is not null)
        {
            connection.SendReply(Replies.Ok(seq));
            return;
        }
        var token = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        if (token.Length is 0 or > 128 || await sessions.GetByTokenAsync(token, ChatDatabase.NowMs()) is not { } session)
        {
            connection.SendReply(Replies.Error(seq, 401, "api.web_socket_router.not_authenticated.app_error", "Invalid or expired session, please login again."));
            return;
        }
        // The socket leaves the address's unauthenticated places for one of the user's, if the user has one left.
        if (limits.TryOpenForUser(session.UserId) is not { } place)
        {
            var refused = WebSocketEndpoints.TooManySockets();
            connection.SendReply(Replies.Error(seq, refused.StatusCode, refused.Id, refused.Message));
            await connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "too many connections");
            return;
        }
        state.Place.Dispose();
        state.Place = place;
        connection.SendReply(Replies.Ok(seq));
        await OpenAsync(connection, state, session, cancellationToken);
    }

    /// <summary>user_typing {channel_id, parent_id}: a typing event to the channel's members (but the typist), through the log so every node has it.</summary>
    private async Task<byte[]> TypingAsync(Session session, long seq, JsonElement data, CancellationToken cancellationToken)
    {
        string Text(string name) => data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var channelId = Text("channel_id");
        var parentId = Text("parent_id");
        if (!Ids.IsValid(channelId))
        {
            return Replies.Error(seq, 400, "api.websocket_handler.invalid_param.app_error", "Invalid channel_id parameter.");
        }
        if (parentId.Length > 0 && !Ids.IsValid(parentId))
        {
            return Replies.Error(seq, 400, "api.websocket_handler.invalid_param.app_error", "Invalid parent_id parameter.");
        }
        if (await channels.GetMemberAsync(channelId, session.UserId) is null)
        {
            return Replies.Error(seq, 403, "api.context.permissions.app_error", "You do not have the appropriate permissions.");
        }
        await log.AppendAsync([WebSocketEvents.Typing.Create(channelId, parentId, session.UserId)], cancellationToken);
        return Replies.Ok(seq);
    }

    /// <summary>
    /// user_update_active_status {user_is_active, manual}, which the web app sends as its user comes and goes: an
    /// active user is activity; an inactive one is left to the away timeout, which the sweep applies.
    /// </summary>
    private byte[] ActiveStatus(Session session, long seq, JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("user_is_active", out var isActive) || isActive.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Replies.Error(seq, 400, "api.websocket_handler.invalid_param.app_error", "Invalid user_is_active parameter.");
        }
        if (isActive.GetBoolean())
        {
            presence.Active(session.UserId);
        }
        return Replies.Ok(seq);
    }

    /// <summary>What the receive loop knows about its socket.</summary>
    private sealed class State(string? resumeId, long sequenceNumber, IDisposable place, RealtimeOptions options)
    {
        public string? ResumeId { get; } = resumeId;
        public long SequenceNumber { get; } = sequenceNumber;
        public volatile Session? Session;
        public IDisposable Place { get; set; } = place;
        public GcraCell Actions { get; } = new(options.ActionRate);
        public GcraCell Typing { get; } = new(options.TypingRate);
    }

    [LoggerMessage(LogLevel.Debug, "WebSocket {ConnectionId}: a message that is not an action with a positive seq; ignored")]
    private partial void LogUnanswerable(string connectionId);

    [LoggerMessage(LogLevel.Warning, "WebSocket {ConnectionId}: the database failed ({Reason})")]
    private partial void LogDatabaseFailed(string connectionId, string reason);
}
