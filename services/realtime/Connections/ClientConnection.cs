using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using Chat.BuildingBlocks.PubSub;
using Chat.Realtime.Checkpoints;
using Chat.Realtime.Delivery;
using Chat.ServiceDefaults;

namespace Chat.Realtime.Connections;

internal enum OfferOutcome
{
    /// <summary>Not for this connection (or already seen); its cursor moved on.</summary>
    Passed,
    Queued,
    /// <summary>A typing event that found the queue full.</summary>
    Dropped,
    /// <summary>The queue is full of events that may not be dropped: the connection must be closed.</summary>
    Overflow,
    /// <summary>The event revokes this connection's session.</summary>
    Revoked,
}

/// <summary>A checkpoint captured for writing, with the membership it records (to know what the database holds once written).</summary>
internal sealed record CapturedCheckpoint(CheckpointWrite Write, Membership Membership);

/// <summary>
/// One client connection, whatever its transport: its place in the log, its membership, its send queue and the
/// writer that drains it. The dispatcher offers it events in log order (<see cref="Offer"/>, never blocking); the
/// writer numbers what it takes from the queue, so seq counts exactly the events written, and numbering is the same
/// on any node that replays the log from one of its checkpoints.
/// </summary>
internal sealed partial class ClientConnection
{
    private readonly IClientTransport transport;
    private readonly RealtimeOptions options;
    private readonly ILogger logger;
    private readonly Lock sync = new();
    private readonly SendQueue queue;
    private readonly CancellationTokenSource aborted = new();
    private Func<ClientConnection, Task>? checkpointNow;

    private EventCursor cursor;
    private Membership membership = Membership.Empty;
    private long skipBelow;
    private bool closed;
    private long checkpointVersion;
    private bool dirty;
    private Membership? persistedMembership;
    private DateTime lastCheckpoint;
    private Task writer = Task.CompletedTask;
    private string? closeReason;

    public ClientConnection(IClientTransport transport, RealtimeOptions options, ILogger logger)
    {
        this.transport = transport;
        this.options = options;
        this.logger = logger;
        queue = new SendQueue(options.SendQueueLimit, options.ReplyQueueLimit);
    }

    /// <summary>Empty until the connection is opened (authenticated and given its id).</summary>
    public string Id { get; private set; } = "";
    public string UserId { get; private set; } = "";
    public string SessionId { get; private set; } = "";
    public long Generation { get; private set; }
    public long StartSeq { get; private set; }

    /// <summary>Checkpoint writes for one connection go one at a time, so "unchanged since the last write" is exact.</summary>
    public SemaphoreSlim CheckpointGate { get; } = new(1, 1);

    public bool IsOpen
    {
        get
        {
            lock (sync)
            {
                return Id.Length > 0 && !closed;
            }
        }
    }

    public EventCursor Cursor
    {
        get
        {
            lock (sync)
            {
                return cursor;
            }
        }
    }

    public CancellationToken Aborted => aborted.Token;

    /// <summary>Why the connection ended (the first reason given), once it has.</summary>
    public string? CloseReason
    {
        get
        {
            lock (sync)
            {
                return closeReason;
            }
        }
    }

    /// <summary>Gives the connection its identity and starting point: events after the checkpoint's cursor are numbered from its seq; those below <paramref name="skipBelow"/> the client already has.</summary>
    public void Open(string id, string userId, string sessionId, long generation, Checkpoint start, long skipBelow, bool persisted)
    {
        lock (sync)
        {
            queue.Start(start.Seq);
            Id = id;
            UserId = userId;
            SessionId = sessionId;
            Generation = generation;
            StartSeq = start.Seq;
            cursor = start.Cursor;
            membership = start.Membership;
            this.skipBelow = skipBelow;
            checkpointVersion = 0;
            persistedMembership = persisted ? start.Membership : null;
            dirty = !persisted;
            lastCheckpoint = DateTime.UtcNow;
        }
    }

    /// <summary>
    /// Takes the next event of the log (in order; events at or before the cursor were seen already) and queues it if
    /// it is for this connection; never waits (see <see cref="SendQueue"/> for what a full queue does). The queued
    /// event keeps the cursor and membership from just before it, so a checkpoint in front of it is exact.
    /// </summary>
    public OfferOutcome Offer(WebSocketEvent e, bool live)
    {
        lock (sync)
        {
            if (closed || Id.Length == 0 || e.Cursor <= cursor)
            {
                return OfferOutcome.Passed;
            }
            var before = cursor;
            var membershipBefore = membership;
            foreach (var change in e.Membership)
            {
                if (change.UserId == UserId)
                {
                    membership = membership.Apply(change);
                }
            }
            cursor = e.Cursor;
            if (!ReferenceEquals(membership, membershipBefore))
            {
                dirty = true;
            }
            if (e.RevokedSessionId == SessionId)
            {
                return OfferOutcome.Revoked;
            }
            if (!e.IsFor(Id, UserId, membership))
            {
                return OfferOutcome.Passed;
            }
            return queue.Add(e, before, membershipBefore, live);
        }
    }

    /// <summary>Moves the cursor over a part of the log that held nothing for this connection (a replay page's frontier).</summary>
    public void AdvanceTo(EventCursor frontier)
    {
        lock (sync)
        {
            cursor = EventCursor.Max(cursor, frontier);
        }
    }

    /// <summary>Waits until the queue has room (replay only; the live dispatcher never waits).</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken) => queue.WaitForRoomAsync(cancellationToken);

    /// <summary>Waits until everything queued has been taken by the writer.</summary>
    public Task WaitForEmptyQueueAsync(CancellationToken cancellationToken) => queue.WaitUntilEmptyAsync(cancellationToken);

    /// <summary>Queues a message that is not an event (an action reply, the hello); the writer sends replies before queued events.</summary>
    public void SendReply(byte[] message)
    {
        if (!queue.AddReply(message))
        {
            Abort("it sends actions faster than it reads their replies");
        }
    }

    /// <summary>Captures a checkpoint of what has been written (an event being written counts as not yet written). Call holding <see cref="CheckpointGate"/>.</summary>
    public CapturedCheckpoint? Capture(bool resetFallback)
    {
        lock (sync)
        {
            if (Id.Length == 0)
            {
                return null;
            }
            var (first, seq) = queue.Front();
            var (at, m) = first is not null ? (first.Before, first.MembershipBefore) : (cursor, membership);
            dirty = false;
            lastCheckpoint = DateTime.UtcNow;
            var json = ReferenceEquals(m, persistedMembership) ? null : m.ToJson();
            return new CapturedCheckpoint(new CheckpointWrite(Id, Generation, ++checkpointVersion, seq, at, json, resetFallback), m);
        }
    }

    /// <summary>The captured checkpoint is in the database.</summary>
    public void Written(CapturedCheckpoint checkpoint)
    {
        lock (sync)
        {
            if (checkpoint.Write.Generation == Generation && checkpoint.Write.ConnectionId == Id)
            {
                persistedMembership = checkpoint.Membership;
            }
        }
    }

    /// <summary>A write failed: try again at the next round.</summary>
    public void NotWritten()
    {
        lock (sync)
        {
            dirty = true;
        }
    }

    /// <summary>Whether the periodic checkpointer should write this connection now.</summary>
    public bool NeedsCheckpoint(DateTime now)
    {
        lock (sync)
        {
            return Id.Length > 0 && !closed && (dirty || now - lastCheckpoint >= options.TouchInterval);
        }
    }

    /// <summary>Starts the writer; <paramref name="checkpoint"/> writes a checkpoint right away (needed before a send that follows a dropped event).</summary>
    public Task StartWriter(Func<ClientConnection, Task> checkpoint)
    {
        checkpointNow = checkpoint;
        writer = Task.Run(WriteLoopAsync);
        return writer;
    }

    private async Task WriteLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                // Replies first: an action's answer does not wait behind a backlog of events.
                if (queue.TryTakeReply(out var reply))
                {
                    await transport.SendAsync(reply, aborted.Token);
                    continue;
                }
                if (!queue.TryTake(out var taken))
                {
                    return;
                }
                if (taken is not { Item: var item, Seq: var seq, CheckpointFirst: var checkpointFirst })
                {
                    await queue.WaitToTakeAsync(aborted.Token);
                    continue;
                }
                lock (sync)
                {
                    dirty = true;
                }
                if (checkpointFirst)
                {
                    await checkpointNow!(this);
                    queue.Recorded(item.Before);
                }
                if (seq >= skipBelow)
                {
                    var maxLength = item.Event.MaxLengthFor(UserId);
                    if (buffer.Length < maxLength)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(maxLength);
                    }
                    var length = item.Event.Format(seq, UserId, buffer);
                    // The last hop of the change's trace: this connection's copy of the event going out.
                    using var activity = item.Event.TraceContext == default ? null
                        : Telemetry.Source.StartActivity(item.Event.SendSpanName, ActivityKind.Producer, item.Event.TraceContext);
                    activity?.SetTag("messaging.message.id", item.Event.Id);
                    activity?.SetTag("chat.connection_id", Id);
                    activity?.SetTag("chat.seq", seq);
                    await transport.SendAsync(buffer.AsMemory(0, length), aborted.Token);
                }
                queue.Sent();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // Aborted, or the peer went away: the receive side ends the connection.
            Abort(e is OperationCanceledException ? "aborted" : $"send failed: {e.Message}");
        }
        catch (Exception e)
        {
            LogWriterFailed(e, Id);
            Abort("writer failed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Closes at once, without a close handshake (a slow or taken-over connection); the client may resume.</summary>
    public void Abort(string reason)
    {
        lock (sync)
        {
            if (aborted.IsCancellationRequested)
            {
                return;
            }
            closed = true;
            closeReason ??= reason;
        }
        queue.Complete();
        aborted.Cancel();
        transport.Abort();
    }

    /// <summary>Closes with a close handshake after the event being written, if any; aborts if that takes too long.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string description)
    {
        lock (sync)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            closeReason ??= description.Length > 0 ? description : status.ToString();
        }
        queue.Complete();
        try
        {
            await writer.WaitAsync(TimeSpan.FromSeconds(5));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await transport.CloseAsync(status, description, timeout.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            Abort($"close failed: {e.Message}");
            return;
        }
        // The client answers the close frame, which ends the receive loop; one that does not is cut off.
        _ = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ =>
        {
            if (!transport.IsClosed)
            {
                Abort("no answer to the close frame");
            }
        }, TaskScheduler.Default);
    }

    /// <summary>Stops the writer (after its current send) and waits for it; the connection's end.</summary>
    public async Task StopWriterAsync()
    {
        lock (sync)
        {
            closed = true;
        }
        queue.Complete();
        try
        {
            await writer.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            Abort("the writer did not stop");
            await writer;
        }
    }

    [LoggerMessage(LogLevel.Error, "WebSocket {ConnectionId}: the writer failed")]
    private partial void LogWriterFailed(Exception e, string connectionId);
}
