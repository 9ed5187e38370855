using System.Globalization;

namespace Chat.BuildingBlocks.PubSub;

/// <summary>
/// A place in the cluster_events log, which is ordered by (transaction id, position). An event's own cursor is
/// where it sits; a reader's cursor means that everything at or before it has been read. <see cref="Before"/>
/// cursors mark a frontier: every event of transaction <c>horizon</c> or later sorts after it.
/// </summary>
public readonly record struct EventCursor(long Txid, long Position) : IComparable<EventCursor>
{
    public int CompareTo(EventCursor other) =>
        Txid != other.Txid ? Txid.CompareTo(other.Txid) : Position.CompareTo(other.Position);

    /// <summary>Just before every event of transactions <paramref name="horizon"/> and later.</summary>
    public static EventCursor Before(long horizon) => new(horizon, 0);

    public static EventCursor Max(EventCursor a, EventCursor b) => a.CompareTo(b) >= 0 ? a : b;

    public static bool operator <(EventCursor a, EventCursor b) => a.CompareTo(b) < 0;
    public static bool operator >(EventCursor a, EventCursor b) => a.CompareTo(b) > 0;
    public static bool operator <=(EventCursor a, EventCursor b) => a.CompareTo(b) <= 0;
    public static bool operator >=(EventCursor a, EventCursor b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Txid}/{Position}");
}
