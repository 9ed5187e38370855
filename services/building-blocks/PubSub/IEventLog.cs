using Npgsql;

namespace Chat.BuildingBlocks.PubSub;

/// <summary>
/// The cluster_events log itself, with positions: for consumers that must know where they are and read again
/// from there (a realtime node replaying a client's missed events on resume). It is the same log in both
/// providers (with Dapr it is the outbox the relay forwards), and every reader sees the same events in the same
/// order: (txid, position), never skipping an event that commits late (see <see cref="Embedded.EventLogReader"/>).
/// Unlike <see cref="IEventBus"/> subscribers, readers here also get events past their time to live, so that two
/// reads from the same cursor always agree.
/// </summary>
public interface IEventLog
{
    /// <summary>Appends now, in a transaction of its own (in both providers: these events are for log readers).</summary>
    Task AppendAsync(IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Just before every event that is not yet readable: where a reader that wants only new events starts.</summary>
    Task<EventCursor> HeadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The cursor that matches the snapshot of <paramref name="transaction"/> (REPEATABLE READ or SERIALIZABLE, so
    /// that all its statements share one snapshot): every event before it was committed and visible to the
    /// transaction. Events after it may or may not be; a consumer that derives state from the snapshot and then
    /// applies the log after the cursor must apply changes idempotently.
    /// </summary>
    Task<EventCursor> SnapshotCursorAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> events of <paramref name="topic"/> after <paramref name="after"/>, in log order.</summary>
    Task<EventLogPage> ReadAfterAsync(EventCursor after, string topic, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Calls <paramref name="handler"/> for every event of <paramref name="topic"/> after <paramref name="after"/>, in
    /// log order, one at a time, woken by the log's notifications; runs until cancelled and reconnects after
    /// database failures (an event whose handler threw is handed over again).
    /// </summary>
    Task FollowAsync(EventCursor after, string topic, LoggedEventHandler handler, CancellationToken cancellationToken);
}

/// <summary>An event and its place in the log.</summary>
public sealed record LoggedEvent(EventCursor Cursor, ClusterEvent Event);

/// <param name="Events">In log order.</param>
/// <param name="Next">Where to read on from: the last event's cursor, or past it up to the read's frontier when the page was not full.</param>
/// <param name="More">The page was full: more events may follow right away.</param>
public sealed record EventLogPage(IReadOnlyList<LoggedEvent> Events, EventCursor Next, bool More);

public delegate Task LoggedEventHandler(LoggedEvent loggedEvent, CancellationToken cancellationToken);
