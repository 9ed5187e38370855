using System.Data;
using Chat.BuildingBlocks.PubSub;
using Chat.BuildingBlocks.PubSub.Embedded;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>The positioned log (<see cref="IEventLog"/>): reading from any cursor, following, and snapshot cursors.</summary>
[Collection("postgres")]
public sealed class EventLogTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Topic = "replay";

    [Fact]
    public async Task Reading_after_a_cursor_pages_in_log_order_and_never_passes_an_open_transaction()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await EmbeddedNode.StartAsync(db, "node-l", output);
        await using var log = await StartLogAsync(node);
        var head = await log.HeadAsync();

        var slow = Events.New(Topic, new { name = "slow" });
        var fast = Events.New(Topic, new { name = "fast" });
        await using (var connection = await node.DataSource.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await node.Bus.PublishAsync(tx, slow);
            await log.AppendAsync([fast]);
            // fast is committed, but slow (an earlier transaction) may still commit in front of it.
            var held = await log.ReadAfterAsync(head, Topic, 10);
            Assert.Empty(held.Events);
            Assert.False(held.More);
            Assert.True(held.Next >= head);
            await tx.CommitAsync();
            head = held.Next;
        }
        var page = await log.ReadAfterAsync(head, Topic, 10);
        Assert.Equal([slow.Id, fast.Id], page.Events.Select(e => e.Event.Id));
        Assert.True(page.Events[0].Cursor < page.Events[1].Cursor);
        Assert.True(page.Next >= page.Events[1].Cursor);

        // Pages follow on from each other; other topics are skipped; expired events are still read.
        var batch = Enumerable.Range(0, 25).Select(i => Events.New(Topic, new { i })).ToList();
        await log.AppendAsync([.. batch.Take(10), Events.New("elsewhere", new { }), .. batch.Skip(10)]);
        var ephemeral = Events.New(Topic, new { typing = true }) with { TimeToLive = TimeSpan.FromMilliseconds(1) };
        await log.AppendAsync([ephemeral]);
        await Task.Delay(50);
        var read = new List<LoggedEvent>();
        var cursor = page.Next;
        EventLogPage next;
        do
        {
            next = await log.ReadAfterAsync(cursor, Topic, 10);
            read.AddRange(next.Events);
            cursor = next.Next;
        }
        while (next.More);
        Assert.Equal([.. batch.Select(e => e.Id), ephemeral.Id], read.Select(e => e.Event.Id));
        Assert.True(read.Zip(read.Skip(1)).All(p => p.First.Cursor < p.Second.Cursor));
        Assert.Empty((await log.ReadAfterAsync(cursor, Topic, 10)).Events);
    }

    [Fact]
    public async Task Following_from_a_cursor_hands_over_every_later_event_with_its_cursor()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await EmbeddedNode.StartAsync(db, "node-f", output);
        await using var log = await StartLogAsync(node);
        var head = await log.HeadAsync();
        var early = Enumerable.Range(0, 5).Select(i => Events.New(Topic, new { i })).ToList();
        await log.AppendAsync(early);
        var all = (await log.ReadAfterAsync(head, Topic, 100)).Events;
        Assert.Equal(5, all.Count);

        var got = new List<LoggedEvent>();
        using var stop = new CancellationTokenSource();
        var following = log.FollowAsync(all[2].Cursor, Topic, (e, _) =>
        {
            lock (got)
            {
                got.Add(e);
            }
            return Task.CompletedTask;
        }, stop.Token);
        var late = Events.New(Topic, new { late = true });
        await log.AppendAsync([late]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Count(got) < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        await stop.CancelAsync();
        await following;
        Assert.Equal([early[3].Id, early[4].Id, late.Id], got.Select(e => e.Event.Id));
        Assert.Equal([all[3].Cursor, all[4].Cursor], got.Take(2).Select(e => e.Cursor));
    }

    [Fact]
    public async Task A_snapshot_cursor_splits_the_log_where_the_snapshot_does()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await EmbeddedNode.StartAsync(db, "node-s", output);
        await using var log = await StartLogAsync(node);
        var head = await log.HeadAsync();
        var seen = Events.New(Topic, new { seen = true });
        await log.AppendAsync([seen]);

        await using var connection = await node.DataSource.OpenConnectionAsync();
        await using (var readCommitted = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted))
        {
            await Assert.ThrowsAsync<ArgumentException>(() => log.SnapshotCursorAsync(readCommitted));
        }
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM cluster_events", connection, tx))
        {
            Assert.Equal(1L, await count.ExecuteScalarAsync());
        }
        var unseen = Events.New(Topic, new { seen = false });
        await log.AppendAsync([unseen]);
        var cursor = await log.SnapshotCursorAsync(tx);
        await tx.CommitAsync();

        Assert.Equal([seen.Id, unseen.Id], (await log.ReadAfterAsync(head, Topic, 10)).Events.Select(e => e.Event.Id));
        Assert.Equal([unseen.Id], (await log.ReadAfterAsync(cursor, Topic, 10)).Events.Select(e => e.Event.Id));
    }

    private async Task<ClusterEventLog> StartLogAsync(EmbeddedNode node)
    {
        var logs = TestLogs.Factory(output, node.Name);
        var options = new BuildingBlocksOptions();
        var log = new ClusterEventLog(node.DataSource, options, logs.CreateLogger<ClusterEventLog>());
        await log.StartAsync(CancellationToken.None);
        return log;
    }

    private static int Count(List<LoggedEvent> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }
}
