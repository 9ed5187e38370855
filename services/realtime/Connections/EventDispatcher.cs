using System.Diagnostics;
using System.Net.WebSockets;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Realtime.Delivery;
using Chat.ServiceDefaults;

namespace Chat.Realtime.Connections;

internal enum AttachResult
{
    Attached,
    /// <summary>The client expects a seq the log cannot produce from the checkpoint.</summary>
    ClientAhead,
    /// <summary>The replay revoked the connection's session.</summary>
    Closed,
}

/// <summary>
/// The node's one reader of the log's websocket topic. It parses each event once and offers it, in log order, to
/// every attached connection; offering never waits (each connection's writer drains its own queue), so one slow
/// socket delays nobody. A connection starting from an older place in the log (a new connection's snapshot, a
/// resumed checkpoint) first replays the log itself, then attaches once it is within the recent events this
/// dispatcher keeps in memory, so it joins the live stream with nothing missed and nothing twice.
/// </summary>
internal sealed partial class EventDispatcher(IEventLog log, RealtimeOptions options, ILogger<EventDispatcher> logger) : IHostedService
{
    private readonly Lock gate = new();
    private readonly HashSet<ClientConnection> attached = [];
    private readonly Queue<WebSocketEvent> recent = new();
    private readonly CancellationTokenSource stopping = new();
    // Every event after recentFloor, up to the last one dispatched, is in `recent`.
    private EventCursor recentFloor;
    private Task following = Task.CompletedTask;

    public int AttachedCount
    {
        get
        {
            lock (gate)
            {
                return attached.Count;
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        recentFloor = await log.HeadAsync(cancellationToken);
        following = log.FollowAsync(recentFloor, WebSocketEvents.Topic, DispatchAsync, stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        try
        {
            await following.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task DispatchAsync(LoggedEvent logged, CancellationToken cancellationToken)
    {
        // Not a WebSocket message: every node ignores it alike, so numbering stays the same everywhere.
        if (WebSocketEvent.Parse(logged) is not { } e)
        {
            LogIgnored(logged.Event.Id, logged.Event.Type);
            return Task.CompletedTask;
        }
        // Continues the trace of the request that made the change: the api's span is its parent.
        using var activity = e.TraceContext == default ? null : Telemetry.Source.StartActivity("websocket deliver " + e.Name, ActivityKind.Consumer, e.TraceContext);
        activity?.SetTag("messaging.system", "postgresql");
        activity?.SetTag("messaging.destination.name", WebSocketEvents.Topic);
        activity?.SetTag("messaging.message.id", e.Id);
        var queued = 0;
        List<(ClientConnection Connection, OfferOutcome Outcome)>? toClose = null;
        lock (gate)
        {
            recent.Enqueue(e);
            if (recent.Count > options.RecentEvents)
            {
                recentFloor = recent.Dequeue().Cursor;
            }
            foreach (var connection in attached)
            {
                var outcome = connection.Offer(e, live: true);
                if (outcome == OfferOutcome.Queued)
                {
                    queued++;
                }
                else if (outcome is OfferOutcome.Overflow or OfferOutcome.Revoked)
                {
                    (toClose ??= []).Add((connection, outcome));
                }
            }
        }
        activity?.SetTag("chat.connections.queued", queued);
        foreach (var (connection, outcome) in toClose ?? [])
        {
            Close(connection, outcome);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Replays the log from the connection's cursor, then attaches it to the live stream. With
    /// <paramref name="mustReach"/> (a resuming client's next expected seq), refuses to attach when the log cannot
    /// produce that seq: the client is ahead of its checkpoint and needs a new connection.
    /// </summary>
    public async Task<AttachResult> AttachAsync(ClientConnection connection, long? mustReach, CancellationToken cancellationToken)
    {
        long queued = 0;
        while (true)
        {
            lock (gate)
            {
                if (connection.Cursor >= recentFloor)
                {
                    foreach (var e in recent)
                    {
                        if (Count(connection, e, ref queued))
                        {
                            return AttachResult.Closed;
                        }
                    }
                    if (mustReach is { } seq && connection.StartSeq + queued < seq)
                    {
                        return AttachResult.ClientAhead;
                    }
                    attached.Add(connection);
                    return AttachResult.Attached;
                }
            }
            var page = await log.ReadAfterAsync(connection.Cursor, WebSocketEvents.Topic, options.ReplayPageSize, cancellationToken);
            foreach (var logged in page.Events)
            {
                if (WebSocketEvent.Parse(logged) is not { } e)
                {
                    continue;
                }
                await connection.WaitForRoomAsync(cancellationToken);
                if (Count(connection, e, ref queued))
                {
                    return AttachResult.Closed;
                }
            }
            connection.AdvanceTo(page.Next);
        }
    }

    /// <summary>Offers a replayed event; true when the connection had to be closed.</summary>
    private bool Count(ClientConnection connection, WebSocketEvent e, ref long queued)
    {
        switch (connection.Offer(e, live: false))
        {
            case OfferOutcome.Queued:
                queued++;
                return false;
            case OfferOutcome.Revoked:
                Close(connection, OfferOutcome.Revoked);
                return true;
            default:
                return false;
        }
    }

    public void Detach(ClientConnection connection)
    {
        lock (gate)
        {
            attached.Remove(connection);
        }
    }

    private static void Close(ClientConnection connection, OfferOutcome outcome)
    {
        if (outcome == OfferOutcome.Overflow)
        {
            connection.Abort("it does not keep up (send queue full)");
        }
        else
        {
            _ = connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "session revoked");
        }
    }

    [LoggerMessage(LogLevel.Warning, "Event {Id} ({Type}) on the websocket topic is not a WebSocket message; ignored")]
    private partial void LogIgnored(string id, string type);
}
