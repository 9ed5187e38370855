using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Chat.BuildingBlocks.PubSub;
using Chat.Realtime.Delivery;

namespace Chat.Realtime.Connections;

/// <summary>An event waiting to be written, with the connection's cursor and membership just before it (a checkpoint taken in front of it).</summary>
internal sealed record QueuedEvent(WebSocketEvent Event, EventCursor Before, Membership MembershipBefore, bool Droppable);

/// <summary>An event the writer took, numbered; <see cref="CheckpointFirst"/>: a checkpoint past an earlier drop must be written before it is sent.</summary>
internal readonly record struct TakenEvent(QueuedEvent Item, long Seq, bool CheckpointFirst);

/// <summary>
/// One connection's outgoing messages: the log events meant for it, bounded, and the messages that are not events
/// (action replies, the hello), bounded separately. Adding never waits, so one slow client never delays the
/// dispatcher: a live event that finds the queue full drops the queued typing events first (and itself if it is
/// one); if the queue is still full it overflows and the connection must be cut off. Replayed events are never
/// dropped — their seqs must come out as they did the first time — so the replayer waits for room instead.
/// The writer takes events in order and numbers them as it takes them: seq counts exactly the events written.
/// </summary>
internal sealed class SendQueue(int limit, int replyLimit)
{
    private readonly Lock gate = new();
    private readonly Queue<QueuedEvent> events = new();
    private readonly ConcurrentQueue<byte[]> replies = new();
    // Wakes the writer: something was added, or the queue completed.
    private readonly Channel<bool> bell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Wakes those waiting for room or for an empty queue: the writer took something, or the queue completed.
    private readonly Channel<bool> room = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Positions of typing events dropped since the last checkpoint written before a send; ascending (log order).
    private readonly List<EventCursor> unrecordedDrops = [];
    private int replyCount;
    private long nextSeq;
    private TakenEvent? inFlight;
    private bool completed;

    /// <summary>Numbers the next event taken <paramref name="seq"/> (a connection being opened); earlier drops are forgotten.</summary>
    public void Start(long seq)
    {
        lock (gate)
        {
            if (events.Count > 0 || inFlight is not null)
            {
                throw new InvalidOperationException("A connection is opened with an empty queue.");
            }
            nextSeq = seq;
            unrecordedDrops.Clear();
        }
    }

    /// <summary>Queues an event; never waits. Returns Queued, Dropped (a typing event that found the queue full) or Overflow.</summary>
    /// <param name="live">From the dispatcher's live stream; replayed events (false) are neither dropped nor bounded.</param>
    public OfferOutcome Add(WebSocketEvent e, EventCursor before, Membership membershipBefore, bool live)
    {
        var item = new QueuedEvent(e, before, membershipBefore, Droppable: live && e.IsTyping);
        lock (gate)
        {
            if (live && events.Count >= limit)
            {
                if (events.Any(q => q.Droppable))
                {
                    var kept = events.ToList();
                    events.Clear();
                    foreach (var q in kept)
                    {
                        if (q.Droppable)
                        {
                            unrecordedDrops.Add(q.Event.Cursor);
                        }
                        else
                        {
                            events.Enqueue(q);
                        }
                    }
                }
                if (events.Count >= limit)
                {
                    if (!item.Droppable)
                    {
                        return OfferOutcome.Overflow;
                    }
                    unrecordedDrops.Add(e.Cursor);
                    return OfferOutcome.Dropped;
                }
            }
            events.Enqueue(item);
        }
        bell.Writer.TryWrite(true);
        return OfferOutcome.Queued;
    }

    /// <summary>Queues a message that is not an event; false when more than the bound are waiting (the client sends actions faster than it reads their replies).</summary>
    public bool AddReply(byte[] message)
    {
        if (Interlocked.Increment(ref replyCount) > replyLimit)
        {
            Interlocked.Decrement(ref replyCount);
            return false;
        }
        replies.Enqueue(message);
        bell.Writer.TryWrite(true);
        return true;
    }

    /// <summary>The oldest waiting reply; replies can still be taken once the queue is completed.</summary>
    public bool TryTakeReply([NotNullWhen(true)] out byte[]? reply)
    {
        if (!replies.TryDequeue(out reply))
        {
            return false;
        }
        Interlocked.Decrement(ref replyCount);
        return true;
    }

    /// <summary>
    /// Takes the oldest event and gives it the next seq; it stays in flight until <see cref="Sent"/>.
    /// <paramref name="taken"/> is null when nothing is queued. False once the queue is completed: the writer stops.
    /// </summary>
    public bool TryTake(out TakenEvent? taken)
    {
        taken = null;
        bool open;
        lock (gate)
        {
            open = !completed;
            if (open && events.TryDequeue(out var item))
            {
                // Replaying from a checkpoint in front of a dropped event would number it: before the first send
                // past a drop, a checkpoint past the drop must be in the database.
                var checkpointFirst = unrecordedDrops.Count > 0 && unrecordedDrops[0] < item.Event.Cursor;
                inFlight = taken = new TakenEvent(item, nextSeq++, checkpointFirst);
            }
        }
        room.Writer.TryWrite(true);
        return open;
    }

    /// <summary>The event in flight has been written (or skipped).</summary>
    public void Sent()
    {
        lock (gate)
        {
            inFlight = null;
        }
    }

    /// <summary>A checkpoint at <paramref name="at"/> is in the database: the drops up to it are part of the record.</summary>
    public void Recorded(EventCursor at)
    {
        lock (gate)
        {
            unrecordedDrops.RemoveAll(d => d <= at);
        }
    }

    /// <summary>
    /// The first event not yet written and its seq: the one in flight (it may or may not reach the client), else
    /// the oldest queued; null, with the next seq, when everything taken has been written and nothing is queued.
    /// </summary>
    public (QueuedEvent? First, long Seq) Front()
    {
        lock (gate)
        {
            return inFlight is { } flying ? (flying.Item, flying.Seq)
                : events.TryPeek(out var head) ? (head, nextSeq)
                : (null, nextSeq);
        }
    }

    /// <summary>Waits until something is added or the queue completes (the writer, when <see cref="TryTake"/> found nothing).</summary>
    public async Task WaitToTakeAsync(CancellationToken cancellationToken)
    {
        await bell.Reader.WaitToReadAsync(cancellationToken);
        bell.Reader.TryRead(out _);
    }

    /// <summary>Waits until an event can be added within the bound, or the queue is completed (replay only; the live dispatcher never waits).</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken) => WaitUntilAsync(empty: false, cancellationToken);

    /// <summary>Waits until every event has been taken and written, or the queue is completed.</summary>
    public Task WaitUntilEmptyAsync(CancellationToken cancellationToken) => WaitUntilAsync(empty: true, cancellationToken);

    /// <summary>The connection is ending: the writer takes no more events (waiting replies still go out) and every waiter is released.</summary>
    public void Complete()
    {
        lock (gate)
        {
            completed = true;
        }
        bell.Writer.TryWrite(true);
        room.Writer.TryWrite(true);
    }

    private async Task WaitUntilAsync(bool empty, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (gate)
            {
                if (completed || (empty ? events.Count == 0 && inFlight is null : events.Count < limit))
                {
                    return;
                }
            }
            await room.Reader.WaitToReadAsync(cancellationToken);
            room.Reader.TryRead(out _);
        }
    }
}
