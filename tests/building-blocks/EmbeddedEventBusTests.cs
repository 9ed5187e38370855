using Chat.BuildingBlocks.PubSub;
using Chat.BuildingBlocks.PubSub.Embedded;
using Chat.Configuration;
using Chat.SchemaMigrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

[Collection("postgres")]
public sealed class EmbeddedEventBusTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Topic = "cluster";

    [Fact]
    public async Task Every_subscribing_instance_receives_every_event_in_publication_order()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var a = await EmbeddedNode.StartAsync(db, "node-a", output);
        await using var b = await EmbeddedNode.StartAsync(db, "node-b", output);
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        var atA = new EventCollector();
        var atB = new EventCollector();
        using var subA = a.Bus.Subscribe(Topic, atA.Handler);
        using var subB = b.Bus.Subscribe(Topic, atB.Handler);
        var other = new EventCollector();
        using var subOther = a.Bus.Subscribe("other", other.Handler);

        var published = new List<ClusterEvent>();
        for (var i = 0; i < 60; i++)
        {
            var e = Events.New(Topic, new { seq = i });
            published.Add(e);
            await publisher.Bus.PublishAsync(e);
        }
        var batch = Enumerable.Range(60, 140).Select(i => Events.New(Topic, new { seq = i })).ToList();
        published.AddRange(batch);
        await publisher.Bus.PublishAsync(batch);

        await atA.WaitForAsync(200);
        await atB.WaitForAsync(200);
        Assert.Equal(published.Select(e => e.Id), atA.Ids);
        Assert.Equal(published.Select(e => e.Id), atB.Ids);
        Assert.Empty(other.Received);
        var first = atA.Received[0];
        Assert.Equal("test", first.Type);
        Assert.Equal(0, first.Field<int>("seq"));
        Assert.NotNull(first.Time);
    }

    [Fact]
    public async Task AddBuildingBlocks_wires_the_embedded_provider_as_a_hosted_service_by_default()
    {
        var db = await postgres.NewDatabaseAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(NpgsqlDataSource.Create(db));
        builder.Services.AddBuildingBlocks(new ChatConfig());
        using var host = builder.Build();
        var bus = host.Services.GetRequiredService<IEventBus>();
        Assert.IsType<EmbeddedEventBus>(bus);
        var received = new EventCollector();
        using var sub = bus.Subscribe(Topic, received.Handler);
        await host.Services.MigrateDatabaseAsync();
        await host.StartAsync();
        var e = Events.New(Topic, new { n = 1 });
        await bus.PublishAsync(e);
        await received.WaitForAsync(1);
        Assert.Equal([e.Id], received.Ids);
        await host.StopAsync();
        await host.Services.GetRequiredService<NpgsqlDataSource>().DisposeAsync();
    }

    [Fact]
    public async Task An_event_committed_behind_an_open_transaction_waits_for_it_and_is_never_skipped()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var subscriber = await EmbeddedNode.StartAsync(db, "node-s", output);
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        var received = new EventCollector();
        using var sub = subscriber.Bus.Subscribe(Topic, received.Handler);

        var slow = Events.New(Topic, new { name = "slow" });
        var fast = Events.New(Topic, new { name = "fast" });
        await using var connection = await publisher.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await publisher.Bus.PublishAsync(tx, slow);
        await publisher.Bus.PublishAsync(fast);

        // The inversion that a position-only cursor would get wrong: the later position is committed first.
        await using (var positions = publisher.DataSource.CreateCommand("SELECT count(*) FROM cluster_events"))
        {
            Assert.Equal(1L, await positions.ExecuteScalarAsync());
        }
        await received.AssertStaysAtAsync(0, TimeSpan.FromMilliseconds(500));

        await tx.CommitAsync();
        await received.WaitForAsync(2);
        Assert.Equal([slow.Id, fast.Id], received.Ids);
        await using var order = publisher.DataSource.CreateCommand("SELECT id FROM cluster_events ORDER BY position");
        await using var reader = await order.ExecuteReaderAsync();
        var byPosition = new List<string>();
        while (await reader.ReadAsync())
        {
            byPosition.Add(reader.GetString(0));
        }
        Assert.Equal([slow.Id, fast.Id], byPosition);
    }

    [Fact]
    public async Task A_transaction_that_publishes_nothing_only_delays_events_and_they_arrive_without_a_new_notification()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var subscriber = await EmbeddedNode.StartAsync(db, "node-s", output, o => o.Embedded.PollInterval = TimeSpan.FromMinutes(1));
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        var received = new EventCollector();
        using var sub = subscriber.Bus.Subscribe(Topic, received.Handler);

        await using var connection = await publisher.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var takeXid = new NpgsqlCommand("SELECT pg_current_xact_id()", connection, tx))
        {
            await takeXid.ExecuteScalarAsync();
        }
        var e = Events.New(Topic, new { n = 1 });
        await publisher.Bus.PublishAsync(e);
        await received.AssertStaysAtAsync(0, TimeSpan.FromMilliseconds(400));

        var committed = DateTime.UtcNow;
        await tx.CommitAsync();
        await received.WaitForAsync(1, TimeSpan.FromSeconds(3));
        output.WriteLine($"delivered {(DateTime.UtcNow - committed).TotalMilliseconds:F0} ms after the holding transaction ended");
        Assert.Equal([e.Id], received.Ids);
    }

    [Fact]
    public async Task Concurrent_publishers_with_interleaved_commits_never_cause_a_skipped_or_repeated_event()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var a = await EmbeddedNode.StartAsync(db, "node-a", output, o => o.Embedded.BatchSize = 50);
        await using var b = await EmbeddedNode.StartAsync(db, "node-b", output);
        var atA = new EventCollector();
        var atB = new EventCollector();
        using var subA = a.Bus.Subscribe(Topic, atA.Handler);
        using var subB = b.Bus.Subscribe(Topic, atB.Handler);

        const int publishers = 6;
        const int rounds = 60;
        var nodes = new List<EmbeddedNode>();
        for (var p = 0; p < publishers; p++)
        {
            nodes.Add(await EmbeddedNode.StartAsync(db, $"pub-{p}", output));
        }
        var committed = new List<string>[publishers];
        var rolledBack = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            var node = nodes[p];
            var mine = committed[p] = [];
            var random = new Random(p);
            var seq = 0;
            for (var round = 0; round < rounds; round++)
            {
                switch (round % 4)
                {
                    case 0:
                        {
                            var e = Events.New(Topic, new { publisher = p, seq = seq++ });
                            await node.Bus.PublishAsync(e);
                            mine.Add(e.Id);
                            break;
                        }
                    case 1:
                        {
                            var batch = Enumerable.Range(0, 5).Select(_ => Events.New(Topic, new { publisher = p, seq = seq++ })).ToList();
                            await node.Bus.PublishAsync(batch);
                            mine.AddRange(batch.Select(e => e.Id));
                            break;
                        }
                    default:
                        {
                            // Holding the transaction open a random while makes commits land out of position order.
                            await using var connection = await node.DataSource.OpenConnectionAsync();
                            await using var tx = await connection.BeginTransactionAsync();
                            var events = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Events.New(Topic, new { publisher = p, seq = seq++ })).ToList();
                            await node.Bus.PublishAsync(tx, events);
                            await Task.Delay(random.Next(0, 6));
                            if (round % 10 == 3)
                            {
                                await tx.RollbackAsync();
                                lock (rolledBack)
                                {
                                    rolledBack.AddRange(events.Select(e => e.Id));
                                }
                            }
                            else
                            {
                                await tx.CommitAsync();
                                mine.AddRange(events.Select(e => e.Id));
                            }
                            break;
                        }
                }
            }
        })));

        var expected = committed.SelectMany(c => c).ToHashSet();
        output.WriteLine($"{expected.Count} events committed by {publishers} publishers in {clock.ElapsedMilliseconds} ms, {rolledBack.Count} rolled back");
        foreach (var collector in new[] { atA, atB })
        {
            await collector.WaitForAsync(expected.Count, TimeSpan.FromSeconds(30));
            await collector.AssertStaysAtAsync(expected.Count, TimeSpan.FromMilliseconds(300));
            var ids = collector.Ids;
            output.WriteLine($"all delivered after {clock.ElapsedMilliseconds} ms");
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.True(expected.SetEquals(ids), "every committed event, and nothing else, is delivered");
            // Each publisher's events arrive in the order it published them.
            foreach (var byPublisher in collector.Received.GroupBy(e => e.Field<int>("publisher")))
            {
                var seqs = byPublisher.Select(e => e.Field<int>("seq")).ToList();
                Assert.Equal(seqs.Order(), seqs);
            }
        }
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_durable_consumer_that_was_down_resumes_where_it_stopped()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        void Durable(BuildingBlocksOptions o) => o.ConsumerName = "realtime-1";

        var before = new EventCollector();
        var first = await EmbeddedNode.StartAsync(db, "node-r1", output, Durable);
        using (first.Bus.Subscribe(Topic, before.Handler))
        {
            await publisher.Bus.PublishAsync([.. Enumerable.Range(0, 10).Select(i => Events.New(Topic, new { seq = i }))]);
            await before.WaitForAsync(10);
            await first.DisposeAsync();
        }

        var missed = Enumerable.Range(10, 25).Select(i => Events.New(Topic, new { seq = i })).ToList();
        foreach (var e in missed)
        {
            await publisher.Bus.PublishAsync(e);
        }

        var after = new EventCollector();
        await using var second = await EmbeddedNode.StartAsync(db, "node-r1b", output, Durable, bus => bus.Subscribe(Topic, after.Handler));
        await after.WaitForAsync(25);
        await after.AssertStaysAtAsync(25, TimeSpan.FromMilliseconds(300));
        Assert.Equal(missed.Select(e => e.Id), after.Ids);
    }

    [Fact]
    public async Task A_reader_that_loses_its_connection_catches_up_after_reconnecting()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var admin = NpgsqlDataSource.Create(db);
        await using var subscriber = await EmbeddedNode.StartAsync(db, "node-s", output);
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        var received = new EventCollector();
        using var sub = subscriber.Bus.Subscribe(Topic, received.Handler);

        var all = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            await subscriber.KillSessionsAsync(admin);
            foreach (var e in Enumerable.Range(0, 20).Select(i => Events.New(Topic, new { round, i })))
            {
                await publisher.Bus.PublishAsync(e);
                all.Add(e.Id);
            }
        }
        await received.WaitForAsync(all.Count, TimeSpan.FromSeconds(20));
        Assert.Equal(all, received.Ids);
    }

    [Fact]
    public async Task A_transactional_publish_is_invisible_until_commit_and_gone_on_rollback()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var subscriber = await EmbeddedNode.StartAsync(db, "node-s", output);
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        var received = new EventCollector();
        using var sub = subscriber.Bus.Subscribe(Topic, received.Handler);

        var kept = Events.New(Topic, new { name = "kept" });
        await using (var connection = await publisher.DataSource.OpenConnectionAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            await using (var change = new NpgsqlCommand("CREATE TABLE things (id int)", connection, tx))
            {
                await change.ExecuteNonQueryAsync();
            }
            await publisher.Bus.PublishAsync(tx, kept);
            await received.AssertStaysAtAsync(0, TimeSpan.FromMilliseconds(500));
            await tx.CommitAsync();
        }
        await received.WaitForAsync(1);

        var discarded = Events.New(Topic, new { name = "discarded" });
        await using (var connection = await publisher.DataSource.OpenConnectionAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            await publisher.Bus.PublishAsync(tx, discarded);
            await tx.RollbackAsync();
        }
        var later = Events.New(Topic, new { name = "later" });
        await publisher.Bus.PublishAsync(later);
        await received.WaitForAsync(2);
        await received.AssertStaysAtAsync(2, TimeSpan.FromMilliseconds(300));
        Assert.Equal([kept.Id, later.Id], received.Ids);
    }

    [Fact]
    public async Task Publishing_an_id_twice_delivers_it_once()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await EmbeddedNode.StartAsync(db, "node-a", output);
        var received = new EventCollector();
        using var sub = node.Bus.Subscribe(Topic, received.Handler);
        var e = Events.New(Topic, new { n = 1 });
        await node.Bus.PublishAsync(e);
        await node.Bus.PublishAsync(e);
        await using (var connection = await node.DataSource.OpenConnectionAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            await node.Bus.PublishAsync(tx, e);
            await tx.CommitAsync();
        }
        var marker = Events.New(Topic, new { n = 2 });
        await node.Bus.PublishAsync(marker);
        await received.WaitForAsync(2);
        await received.AssertStaysAtAsync(2, TimeSpan.FromMilliseconds(200));
        Assert.Equal([e.Id, marker.Id], received.Ids);
    }

    [Fact]
    public async Task Expired_events_are_not_delivered_to_a_consumer_that_reads_them_late()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        void Durable(BuildingBlocksOptions o) => o.ConsumerName = "late";
        await (await EmbeddedNode.StartAsync(db, "node-l", output, Durable)).DisposeAsync();

        var typing = Events.New(Topic, new { kind = "typing" }) with { TimeToLive = TimeSpan.FromMilliseconds(200) };
        var posted = Events.New(Topic, new { kind = "posted" });
        await publisher.Bus.PublishAsync([typing, posted]);
        await Task.Delay(400);

        var received = new EventCollector();
        await using var late = await EmbeddedNode.StartAsync(db, "node-l2", output, Durable, bus => bus.Subscribe(Topic, received.Handler));
        await received.WaitForAsync(1);
        await received.AssertStaysAtAsync(1, TimeSpan.FromMilliseconds(300));
        Assert.Equal([posted.Id], received.Ids);
    }

    [Fact]
    public async Task A_failing_handler_is_retried_and_a_poison_event_does_not_stall_the_stream()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await EmbeddedNode.StartAsync(db, "node-a", output, o => o.Embedded.MaxDeliveryAttempts = 3);
        var flaky = Events.New(Topic, new { name = "flaky" });
        var poison = Events.New(Topic, new { name = "poison" });
        var fine = Events.New(Topic, new { name = "fine" });
        var attempts = new Dictionary<string, int>();
        var handled = new List<string>();
        using var sub = node.Bus.Subscribe(Topic, (e, _) =>
        {
            lock (attempts)
            {
                attempts[e.Id] = attempts.GetValueOrDefault(e.Id) + 1;
                if ((e.Id == flaky.Id && attempts[e.Id] < 3) || e.Id == poison.Id)
                {
                    throw new InvalidOperationException("handler failure");
                }
                handled.Add(e.Id);
            }
            return Task.CompletedTask;
        });
        var second = new EventCollector();
        using var sub2 = node.Bus.Subscribe(Topic, second.Handler);

        await node.Bus.PublishAsync([flaky, poison, fine]);
        await second.WaitForAsync(3);
        lock (attempts)
        {
            Assert.Equal([flaky.Id, fine.Id], handled);
            Assert.Equal(3, attempts[flaky.Id]);
            Assert.Equal(3, attempts[poison.Id]);
        }
        // The other handler of the topic is not held hostage by the failing one.
        Assert.Equal([flaky.Id, poison.Id, fine.Id], second.Ids);
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_its_deliveries()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await EmbeddedNode.StartAsync(db, "node-a", output);
        var received = new EventCollector();
        var marker = new EventCollector();
        using var keep = node.Bus.Subscribe(Topic, marker.Handler);
        var sub = node.Bus.Subscribe(Topic, received.Handler);
        await node.Bus.PublishAsync(Events.New(Topic, new { n = 1 }));
        await received.WaitForAsync(1);
        sub.Dispose();
        await node.Bus.PublishAsync(Events.New(Topic, new { n = 2 }));
        await marker.WaitForAsync(2);
        Assert.Single(received.Received);
    }

    [Fact]
    public async Task Pruning_removes_events_older_than_the_retention_and_keeps_the_rest()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await EmbeddedNode.StartAsync(db, "node-a", output);
        await node.Bus.PublishAsync([.. Enumerable.Range(0, 12_000).Select(i => Events.New(Topic, new { i }))]);
        await node.Bus.PublishAsync([.. Enumerable.Range(0, 7).Select(i => Events.New(Topic, new { i }))]);
        await using (var age = node.DataSource.CreateCommand("UPDATE cluster_events SET created_at = now() - interval '2 days' WHERE position <= 12000"))
        {
            await age.ExecuteNonQueryAsync();
        }
        var pruner = new EventLogPruner(node.DataSource, new EmbeddedPubSubOptions { Retention = TimeSpan.FromDays(1) }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal(12_000, await pruner.PruneAsync(CancellationToken.None));
        await using var count = node.DataSource.CreateCommand("SELECT count(*) FROM cluster_events");
        Assert.Equal(7L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Wake_ups_are_batched_under_a_burst_far_below_one_notification_per_event()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var subscriber = await EmbeddedNode.StartAsync(db, "node-s", output);
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        var received = new EventCollector();
        using var sub = subscriber.Bus.Subscribe(Topic, received.Handler);

        await using var listener = new NpgsqlConnection(db);
        await listener.OpenAsync();
        var notifications = 0;
        var payloads = new HashSet<string>();
        listener.Notification += (_, n) =>
        {
            lock (payloads)
            {
                payloads.Add(n.Payload);
            }
            Interlocked.Increment(ref notifications);
        };
        await using (var listen = new NpgsqlCommand("LISTEN cluster_events", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }
        using var stop = new CancellationTokenSource();
        var listening = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await listener.WaitAsync(TimeSpan.FromMilliseconds(50));
            }
        });

        // A burst of single-event publishes, each its own commit.
        const int singles = 2_000;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < singles / 8; i++)
            {
                await publisher.Bus.PublishAsync(Events.New(Topic, new { i }));
            }
        })));
        await received.WaitForAsync(singles, TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        var forSingles = Volatile.Read(ref notifications);

        // A burst of transactions that each write a change and its event (the outbox path).
        const int transactions = 800;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < transactions / 8; i++)
            {
                await using var connection = await publisher.DataSource.OpenConnectionAsync();
                await using var tx = await connection.BeginTransactionAsync();
                await publisher.Bus.PublishAsync(tx, Events.New(Topic, new { i }));
                await tx.CommitAsync();
            }
        })));
        await received.WaitForAsync(singles + transactions, TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        var forTransactions = Volatile.Read(ref notifications) - forSingles;
        await stop.CancelAsync();
        await listening;

        output.WriteLine($"{singles} single publishes → {forSingles} notifications; {transactions} publishing transactions → {forTransactions} notifications");
        Assert.Equal([""], payloads);
        Assert.InRange(forSingles, 1, singles / 4);
        Assert.InRange(forTransactions, 1, transactions / 4);
    }

    [Fact]
    public async Task A_wake_up_rings_only_the_channels_of_the_published_topics_and_the_common_one()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var publisher = await EmbeddedNode.StartAsync(db, "node-p", output);
        await using var listener = new NpgsqlConnection(db);
        await listener.OpenAsync();
        var channels = new List<string>();
        listener.Notification += (_, n) =>
        {
            lock (channels)
            {
                channels.Add(n.Channel);
            }
        };
        var posts = WakeUpNotifier.ChannelFor("posts");
        var other = WakeUpNotifier.ChannelFor("other");
        var longTopic = WakeUpNotifier.ChannelFor(new string('t', 80));
        Assert.True(longTopic.Length <= 63, longTopic);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{posts}\"; LISTEN \"{other}\"; LISTEN \"{longTopic}\"; LISTEN {WakeUpNotifier.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await publisher.Bus.PublishAsync(Events.New("posts", new { n = 1 }));
        await using (var connection = await publisher.DataSource.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await publisher.Bus.PublishAsync(tx, Events.New(new string('t', 80), new { n = 2 }));
            await tx.CommitAsync();
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline && !(Seen(posts) && Seen(longTopic)))
        {
            await listener.WaitAsync(TimeSpan.FromMilliseconds(100));
        }
        await listener.WaitAsync(TimeSpan.FromMilliseconds(300));

        Assert.True(Seen(posts) && Seen(longTopic) && Seen(WakeUpNotifier.Channel), string.Join(", ", channels));
        Assert.False(Seen(other), "a topic nothing was published to was rung");

        bool Seen(string channel)
        {
            lock (channels)
            {
                return channels.Contains(channel);
            }
        }
    }
}
