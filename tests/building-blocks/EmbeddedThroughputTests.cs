using System.Diagnostics;
using Chat.BuildingBlocks.PubSub;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// Measures the embedded provider's publishing rate (printed to the test output) and checks that a subscriber
/// keeps up with it. The floors are far below what a 2-core machine does, so that only a real regression fails.
/// </summary>
[Collection("postgres")]
public sealed class EmbeddedThroughputTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Topic = "bench";

    [Fact]
    public async Task Publish_throughput_single_batch_and_transactional()
    {
        var db = await postgres.NewDatabaseAsync();
        var received = new EventCollector();
        await using var subscriber = await EmbeddedNode.StartAsync(db, "node-s", output, beforeStart: bus => bus.Subscribe(Topic, received.Handler));
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        var expected = 0;

        async Task<double> Measure(string name, int events, int concurrency, Func<int, Task> publishOne)
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; i < events; i += concurrency)
                {
                    await publishOne(i);
                }
            })));
            var published = clock.Elapsed;
            await received.WaitForAsync(expected, TimeSpan.FromSeconds(60));
            var delivered = clock.Elapsed;
            var rate = events / published.TotalSeconds;
            output.WriteLine($"{name,-44} {events,6} events in {published.TotalMilliseconds,7:F0} ms = {rate,8:F0} events/s published; all delivered after {delivered.TotalMilliseconds:F0} ms");
            return rate;
        }

        // The machine's own commit rate, for scale: one single-row INSERT per transaction, no events.
        await using (var create = publisher.DataSource.CreateCommand("CREATE TABLE baseline (id bigint GENERATED ALWAYS AS IDENTITY, data jsonb)"))
        {
            await create.ExecuteNonQueryAsync();
        }
        foreach (var concurrency in new[] { 1, 8 })
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                for (var i = 0; i < 1_000 / concurrency; i++)
                {
                    await using var insert = publisher.DataSource.CreateCommand("INSERT INTO baseline (data) VALUES ('{}')");
                    await insert.ExecuteNonQueryAsync();
                }
            })));
            output.WriteLine($"{$"baseline: plain INSERT commits, {concurrency} connection(s)",-44} {1_000 / clock.Elapsed.TotalSeconds,37:F0} commits/s");
        }

        // Warm-up: pools, JIT, prepared plans.
        expected += 200;
        await Measure("warm-up", 200, 4, i => publisher.Bus.PublishAsync(Events.New(Topic, new { i })));

        expected += 1_000;
        var sequential = await Measure("single event per call, 1 publisher", 1_000, 1, i => publisher.Bus.PublishAsync(Events.New(Topic, new { i })));
        expected += 4_000;
        var single = await Measure("single event per call, 8 concurrent", 4_000, 8, i => publisher.Bus.PublishAsync(Events.New(Topic, new { i })));
        expected += 50_000;
        var batch = await Measure("batches of 100 per call, 4 concurrent", 500, 4, i =>
            publisher.Bus.PublishAsync([.. Enumerable.Range(0, 100).Select(j => Events.New(Topic, new { i, j }))])) * 100;
        output.WriteLine($"  (batches: {batch:F0} events/s)");
        expected += 2_000;
        var transactional = await Measure("in the caller's transaction, 8 concurrent", 2_000, 8, async i =>
        {
            await using var connection = await publisher.DataSource.OpenConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await publisher.Bus.PublishAsync(tx, Events.New(Topic, new { i }));
            await tx.CommitAsync();
        });

        Assert.Equal(expected, received.Received.Count);
        Assert.True(sequential > 50 && single > 200 && batch > 2_000 && transactional > 200,
            $"throughput regression: sequential {sequential:F0}, single {single:F0}, batch {batch:F0}, transactional {transactional:F0} events/s");
    }
}
