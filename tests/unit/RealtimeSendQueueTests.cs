using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Realtime.Connections;
using Chat.Realtime.Delivery;

namespace Chat.UnitTests;

/// <summary>A realtime connection's send queue: what is queued, its bounds, the drop policy for slow clients, order and numbering, completion.</summary>
public sealed class RealtimeSendQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Events_are_taken_in_order_and_numbered_from_the_start_seq()
    {
        var queue = new SendQueue(limit: 10, replyLimit: 10);
        queue.Start(5);
        Assert.True(queue.TryTake(out var none));
        Assert.Null(none);

        foreach (var position in new long[] { 1, 2, 3 })
        {
            Assert.Equal(OfferOutcome.Queued, Add(queue, position, live: true));
        }
        foreach (var (position, seq) in new[] { (1L, 5L), (2, 6), (3, 7) })
        {
            var taken = Take(queue);
            Assert.Equal(position, taken.Item.Event.Cursor.Position);
            Assert.Equal(position - 1, taken.Item.Before.Position);
            Assert.Equal(seq, taken.Seq);
            Assert.False(taken.CheckpointFirst);
            queue.Sent();
        }
        Assert.True(queue.TryTake(out none));
        Assert.Null(none);
    }

    [Fact]
    public void The_front_is_the_event_in_flight_else_the_oldest_queued_else_the_next_seq()
    {
        var queue = new SendQueue(limit: 10, replyLimit: 10);
        queue.Start(1);
        Assert.Equal((null, 1), Position(queue.Front()));

        Add(queue, 1, live: true);
        Add(queue, 2, live: true);
        Assert.Equal((1L, 1L), Position(queue.Front()));

        Take(queue);
        Assert.Equal((1L, 1L), Position(queue.Front()));
        queue.Sent();
        Assert.Equal((2L, 2L), Position(queue.Front()));

        Take(queue);
        queue.Sent();
        Assert.Equal((null, 3), Position(queue.Front()));
    }

    [Fact]
    public void A_full_queue_drops_queued_typing_events_first_then_the_new_typing_event_then_overflows()
    {
        var queue = new SendQueue(limit: 3, replyLimit: 10);
        queue.Start(1);
        Assert.Equal(OfferOutcome.Queued, Add(queue, 1, live: true));
        Assert.Equal(OfferOutcome.Queued, Add(queue, 2, live: true, "typing"));
        Assert.Equal(OfferOutcome.Queued, Add(queue, 3, live: true));

        // Full: the queued typing event makes room for the post.
        Assert.Equal(OfferOutcome.Queued, Add(queue, 4, live: true));
        // Full of posts: a typing event is dropped, a post overflows (the connection is cut off).
        Assert.Equal(OfferOutcome.Dropped, Add(queue, 5, live: true, "typing"));
        Assert.Equal(OfferOutcome.Overflow, Add(queue, 6, live: true));

        Assert.Equal([1L, 3, 4], TakeAll(queue).Select(t => t.Item.Event.Cursor.Position));
    }

    [Fact]
    public void The_first_send_past_a_drop_needs_a_checkpoint_until_one_past_the_drop_is_recorded()
    {
        var queue = new SendQueue(limit: 2, replyLimit: 10);
        queue.Start(1);
        Add(queue, 1, live: true);
        Add(queue, 2, live: true, "typing");
        Add(queue, 3, live: true);

        var first = Take(queue);
        Assert.False(first.CheckpointFirst);
        queue.Sent();
        var pastTheDrop = Take(queue);
        Assert.Equal(3, pastTheDrop.Item.Event.Cursor.Position);
        Assert.Equal(2, pastTheDrop.Seq);
        Assert.True(pastTheDrop.CheckpointFirst);
        queue.Recorded(pastTheDrop.Item.Before);
        queue.Sent();

        Add(queue, 4, live: true);
        Assert.False(Take(queue).CheckpointFirst);
    }

    [Fact]
    public void Replayed_events_are_never_dropped_nor_bounded()
    {
        var queue = new SendQueue(limit: 2, replyLimit: 10);
        queue.Start(1);
        Assert.Equal(OfferOutcome.Queued, Add(queue, 1, live: false, "typing"));
        Assert.Equal(OfferOutcome.Queued, Add(queue, 2, live: false));
        Assert.Equal(OfferOutcome.Queued, Add(queue, 3, live: false, "typing"));

        // A replayed typing event is not droppable: a live post finds no room.
        Assert.Equal(OfferOutcome.Overflow, Add(queue, 4, live: true));
        Assert.Equal([1L, 2, 3], TakeAll(queue).Select(t => t.Item.Event.Cursor.Position));
    }

    [Fact]
    public async Task The_replayer_waits_for_room_until_the_writer_takes_an_event()
    {
        var queue = new SendQueue(limit: 2, replyLimit: 10);
        queue.Start(1);
        Add(queue, 1, live: false);
        Add(queue, 2, live: false);

        var room = queue.WaitForRoomAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(room.IsCompleted);
        Take(queue);
        await room.WaitAsync(Patience);
    }

    [Fact]
    public async Task The_queue_is_empty_once_the_event_in_flight_is_sent()
    {
        var queue = new SendQueue(limit: 2, replyLimit: 10);
        queue.Start(1);
        Add(queue, 1, live: true);
        Take(queue);

        var empty = queue.WaitUntilEmptyAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(empty.IsCompleted);
        queue.Sent();
        // The writer's next look at the queue is what wakes the waiter.
        Assert.True(queue.TryTake(out _));
        await empty.WaitAsync(Patience);
    }

    [Fact]
    public void A_connection_is_opened_with_an_empty_queue()
    {
        var queue = new SendQueue(limit: 10, replyLimit: 10);
        queue.Start(1);
        Add(queue, 1, live: true);
        Assert.Throws<InvalidOperationException>(() => queue.Start(1));
        Take(queue);
        Assert.Throws<InvalidOperationException>(() => queue.Start(1));
        queue.Sent();
        queue.Start(1);
    }

    [Fact]
    public void Replies_are_taken_in_order_and_bounded()
    {
        var queue = new SendQueue(limit: 10, replyLimit: 2);
        Assert.True(queue.AddReply([1]));
        Assert.True(queue.AddReply([2]));
        Assert.False(queue.AddReply([3]));

        Assert.True(queue.TryTakeReply(out var reply));
        Assert.Equal([1], reply);
        Assert.True(queue.AddReply([4]));
        Assert.True(queue.TryTakeReply(out reply));
        Assert.Equal([2], reply);
        Assert.True(queue.TryTakeReply(out reply));
        Assert.Equal([4], reply);
        Assert.False(queue.TryTakeReply(out _));
    }

    [Fact]
    public async Task Adding_wakes_the_writer()
    {
        var queue = new SendQueue(limit: 10, replyLimit: 10);
        queue.Start(1);
        var wake = queue.WaitToTakeAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(wake.IsCompleted);
        Add(queue, 1, live: true);
        await wake.WaitAsync(Patience);
    }

    [Fact]
    public async Task Completion_stops_the_writer_taking_events_releases_waiters_and_keeps_replies()
    {
        var queue = new SendQueue(limit: 1, replyLimit: 10);
        queue.Start(1);
        Add(queue, 1, live: false);
        Add(queue, 2, live: false);
        Assert.True(queue.AddReply([7]));
        Take(queue);
        var room = queue.WaitForRoomAsync(CancellationToken.None);
        var empty = queue.WaitUntilEmptyAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(room.IsCompleted || empty.IsCompleted);

        queue.Complete();
        await Task.WhenAll(room, empty, queue.WaitToTakeAsync(CancellationToken.None)).WaitAsync(Patience);
        Assert.False(queue.TryTake(out var taken));
        Assert.Null(taken);
        Assert.True(queue.TryTakeReply(out var reply));
        Assert.Equal([7], reply);
        // The events not taken stay in front of a checkpoint: the one in flight first.
        Assert.Equal((1L, 1L), Position(queue.Front()));
    }

    private static OfferOutcome Add(SendQueue queue, long position, bool live, string name = "posted") =>
        queue.Add(Event(position, name), new EventCursor(1, position - 1), Membership.Empty, live);

    private static TakenEvent Take(SendQueue queue)
    {
        Assert.True(queue.TryTake(out var taken));
        return taken ?? throw new InvalidOperationException("nothing queued");
    }

    private static List<TakenEvent> TakeAll(SendQueue queue)
    {
        var all = new List<TakenEvent>();
        while (queue.TryTake(out var taken) && taken is { } next)
        {
            all.Add(next);
            queue.Sent();
        }
        return all;
    }

    private static (long? Position, long Seq) Position((QueuedEvent? First, long Seq) front) => (front.First?.Event.Cursor.Position, front.Seq);

    private static WebSocketEvent Event(long position, string name) =>
        WebSocketEvent.Parse(new LoggedEvent(new EventCursor(1, position),
            new ClusterEvent($"e{position}", WebSocketEvents.Topic, name, JsonSerializer.Deserialize<JsonElement>($$$"""{"event": "{{{name}}}", "data": {}, "broadcast": {}}"""))))
        ?? throw new InvalidOperationException("not parsed");
}
