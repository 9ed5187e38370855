using Chat.Realtime.Checkpoints;
using Chat.Realtime.Delivery;
using Chat.Realtime.Presence;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Npgsql;

namespace Chat.Realtime.Connections;

/// <summary>
/// Opens an authenticated connection (either transport) as a resumed connection — same id, every missed event,
/// numbering continued, no hello — when its checkpoint allows, else as a new connection with a hello (the client's
/// signal to resync); and ends it, leaving its final checkpoint for a resume on any node.
/// </summary>
internal sealed partial class ConnectionLifecycle(
    CheckpointStore checkpoints,
    MembershipSnapshot snapshots,
    EventDispatcher dispatcher,
    ConnectionRegistry registry,
    Checkpointer checkpointer,
    PresenceTracker presence,
    NodeInfo node,
    RealtimeOptions options,
    ILogger<ConnectionLifecycle> logger)
{
    /// <summary>A connection for <paramref name="transport"/>, its writer started.</summary>
    public ClientConnection Create(IClientTransport transport)
    {
        var connection = new ClientConnection(transport, options, logger);
        _ = connection.StartWriter(c => checkpointer.WriteNowAsync(c, resetFallback: true));
        return connection;
    }

    /// <summary>Detaches the connection, stops its writer and writes its final checkpoint.</summary>
    public async Task EndAsync(ClientConnection connection)
    {
        dispatcher.Detach(connection);
        registry.Remove(connection);
        presence.Closed(connection);
        await connection.StopWriterAsync();
        if (connection.Id.Length > 0)
        {
            try
            {
                // The final place of the connection, for a resume on any node.
                await checkpointer.WriteNowAsync(connection, resetFallback: false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogCheckpointFailed(connection.Id, e.Message);
            }
        }
        connection.Abort("connection lost");
        if (connection.Id.Length > 0)
        {
            LogClosed(connection.Id, connection.UserId, connection.CloseReason ?? "connection lost");
        }
    }

    /// <param name="resumeId">The connection_id the client sent, if any.</param>
    /// <param name="sequenceNumber">The client's sequence_number: the seq it expects next.</param>
    /// <returns>False when the connection was closed while opening.</returns>
    public async Task<bool> OpenAsync(ClientConnection connection, Session session, string? resumeId, long sequenceNumber, CancellationToken cancellationToken)
    {
        if (resumeId is not null && sequenceNumber > 0)
        {
            switch (await TryResumeAsync(connection, session, resumeId, sequenceNumber, cancellationToken))
            {
                case AttachResult.Attached:
                    presence.Opened(connection, connection.Id, connection.UserId);
                    return true;
                case AttachResult.Closed:
                    return false;
            }
        }
        var id = Ids.New();
        var (membership, cursor) = await snapshots.LoadAsync(session.UserId, cancellationToken);
        var start = new Checkpoint(1, cursor, membership);
        await checkpoints.InsertAsync(id, session.UserId, session.Id, node.Hostname, start, cancellationToken);
        connection.Open(id, session.UserId, session.Id, generation: 0, start, skipBelow: 0, persisted: true);
        connection.SendReply(Replies.Hello(id, session.UserId, node));
        registry.Add(connection);
        presence.Opened(connection, connection.Id, connection.UserId);
        LogOpened(id, session.UserId, resumeId ?? "");
        return await dispatcher.AttachAsync(connection, mustReach: null, cancellationToken) == AttachResult.Attached;
    }

    /// <returns>Attached when resumed; ClientAhead when it cannot be (then nothing was sent and a new connection follows).</returns>
    private async Task<AttachResult> TryResumeAsync(ClientConnection connection, Session session, string resumeId, long sequenceNumber, CancellationToken cancellationToken)
    {
        var claimed = await checkpoints.ClaimAsync(resumeId, session.UserId, session.Id, node.Hostname, options.ResumeWindow, cancellationToken);
        if (claimed is null)
        {
            LogNotResumable(resumeId, session.UserId, "unknown, another user's, or past the resume window");
            return AttachResult.ClientAhead;
        }
        // The newest checkpoint the client has everything before; the fallback serves a client that lost the last
        // events its previous node wrote.
        var start = sequenceNumber >= claimed.Current.Seq ? claimed.Current
            : claimed.Fallback is { } fallback && fallback.Seq <= sequenceNumber ? fallback
            : null;
        if (start is null)
        {
            LogNotResumable(resumeId, session.UserId, $"it expects seq {sequenceNumber}, before the checkpoint's {claimed.Current.Seq}");
            return AttachResult.ClientAhead;
        }
        connection.Open(resumeId, session.UserId, session.Id, claimed.Generation, start, skipBelow: sequenceNumber, persisted: false);
        registry.Add(connection);
        var result = await dispatcher.AttachAsync(connection, mustReach: sequenceNumber, cancellationToken);
        if (result == AttachResult.ClientAhead)
        {
            LogNotResumable(resumeId, session.UserId, $"it expects seq {sequenceNumber}, beyond what the log holds for it");
            registry.Remove(connection);
            // Everything queued is below the client's seq, so nothing reaches the socket; let the writer pass it all.
            await connection.WaitForEmptyQueueAsync(cancellationToken);
        }
        else if (result == AttachResult.Attached)
        {
            LogResumed(resumeId, session.UserId, start.Seq, sequenceNumber);
        }
        return result;
    }

    [LoggerMessage(LogLevel.Information, "WebSocket {ConnectionId} of user {UserId} closed: {Reason}")]
    private partial void LogClosed(string connectionId, string userId, string reason);

    [LoggerMessage(LogLevel.Warning, "WebSocket {ConnectionId}: writing its final checkpoint failed ({Reason})")]
    private partial void LogCheckpointFailed(string connectionId, string reason);

    [LoggerMessage(LogLevel.Information, "WebSocket {ConnectionId} opened for user {UserId} (asked to resume '{ResumeId}')")]
    private partial void LogOpened(string connectionId, string userId, string resumeId);

    [LoggerMessage(LogLevel.Information, "WebSocket {ConnectionId} of user {UserId} resumed: replaying from seq {CheckpointSeq}, client expects {ClientSeq}")]
    private partial void LogResumed(string connectionId, string userId, long checkpointSeq, long clientSeq);

    [LoggerMessage(LogLevel.Information, "WebSocket {ConnectionId} of user {UserId} cannot resume ({Reason}); opening a new connection")]
    private partial void LogNotResumable(string connectionId, string userId, string reason);
}
