using System.Collections.Concurrent;
using System.Text.Json;
using Chat.BuildingBlocks.Locks;
using Chat.BuildingBlocks.Locks.Embedded;
using Chat.BuildingBlocks.Reminders;
using Chat.BuildingBlocks.State;
using Chat.BuildingBlocks.State.Embedded;
using Chat.Configuration;
using Chat.SchemaMigrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

[Collection("postgres")]
public sealed class EmbeddedReminderTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Type = "job-schedule";

    private readonly ConcurrentQueue<Fired> fired = new();

    private sealed record Fired(string Node, string ActorId, string Name, JsonElement? Data, DateTime At);

    private ActorReminderHandler Recorder(string node, Func<Fired, Task>? behaviour = null) => async (id, name, data, ct) =>
    {
        var firing = new Fired(node, id, name, data, DateTime.UtcNow);
        if (behaviour is not null)
        {
            await behaviour(firing);
        }
        fired.Enqueue(firing);
    };

    private async Task<BlocksNode[]> StartNodesAsync(int count, Action<BuildingBlocksOptions>? configure = null)
    {
        var db = await postgres.NewDatabaseAsync();
        var nodes = new BlocksNode[count];
        for (var i = 0; i < count; i++)
        {
            nodes[i] = await BlocksNode.StartAsync(db, $"node-{i}", output, configure);
        }
        return nodes;
    }

    [Fact]
    public async Task Each_one_shot_reminder_fires_exactly_once_across_three_nodes_with_its_data_and_is_then_gone()
    {
        var nodes = await StartNodesAsync(3);
        try
        {
            foreach (var node in nodes)
            {
                node.Reminders.Handle(Type, Recorder(node.Name));
            }
            const int Count = 60;
            for (var i = 0; i < Count; i++)
            {
                await nodes[i % 3].Reminders.RegisterAsync(Type, $"job-{i}", "run", TimeSpan.FromMilliseconds(i * 5), data: JsonSerializer.SerializeToElement(new { i }));
            }
            await Eventually.HoldsAsync(() => fired.Count >= Count, "every reminder fired");
            await Task.Delay(300);
            var firings = fired.ToArray();
            Assert.Equal(Count, firings.Length);
            Assert.Equal(Count, firings.Select(f => f.ActorId).Distinct().Count());
            Assert.All(firings, f => Assert.Equal(int.Parse(f.ActorId["job-".Length..]), f.Data!.Value.GetProperty("i").GetInt32()));
            output.WriteLine(string.Join(", ", firings.GroupBy(f => f.Node).Select(g => $"{g.Key}: {g.Count()}")));
            Assert.Equal(0, await RemindersLeftAsync(nodes[0].DataSource));
        }
        finally
        {
            await DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task A_periodic_reminder_fires_once_per_period_across_nodes_and_keeps_firing_after_nodes_stop()
    {
        var nodes = await StartNodesAsync(3);
        try
        {
            foreach (var node in nodes)
            {
                node.Reminders.Handle(Type, Recorder(node.Name));
            }
            var period = TimeSpan.FromMilliseconds(200);
            await nodes[0].Reminders.RegisterAsync(Type, "digest", "tick", TimeSpan.Zero, period);
            await Eventually.HoldsAsync(() => fired.Count >= 8, "eight periods passed");
            var times = fired.Select(f => f.At).ToArray();
            var gaps = times.Zip(times.Skip(1), (x, y) => y - x).ToArray();
            output.WriteLine("gaps: " + string.Join(", ", gaps.Select(g => (int)g.TotalMilliseconds)));
            // Each firing on one node only: never two for the same due time (polls are 50 ms apart, so a gap can shrink below the period by at most that).
            Assert.All(gaps, g => Assert.True(g > period - TimeSpan.FromMilliseconds(100), $"two firings {g.TotalMilliseconds} ms apart"));

            // Two of the three nodes stop, one of them gracefully in the middle of a period; the last one carries on.
            await nodes[0].DisposeAsync();
            await nodes[1].DisposeAsync();
            var before = fired.Count;
            await Eventually.HoldsAsync(() => fired.Skip(before).Count(f => f.Node == "node-2") >= 3, "the surviving node fired three more periods");
        }
        finally
        {
            await DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task A_throwing_handler_gets_the_firing_again_and_a_stalled_node_loses_it_to_another_after_the_lease()
    {
        var nodes = await StartNodesAsync(2, o => o.Reminders.Lease = TimeSpan.FromSeconds(1));
        try
        {
            var attempts = 0;
            nodes[0].Reminders.Handle(Type, Recorder(nodes[0].Name, _ =>
                Interlocked.Increment(ref attempts) < 3 ? throw new InvalidOperationException("transient") : Task.CompletedTask));
            await nodes[0].Reminders.RegisterAsync(Type, "flaky", "run", TimeSpan.Zero);
            await Eventually.HoldsAsync(() => fired.Count == 1, "the third attempt succeeded");
            Assert.Equal(3, attempts);
            await Eventually.HoldsAsync(async () => await RemindersLeftAsync(nodes[0].DataSource) == 0, "the one-shot reminder was deleted");

            // node-0 claims the next one and stalls in its handler; node-1 only starts handling after the claim.
            var stalled = new TaskCompletionSource();
            var claimed = new TaskCompletionSource();
            using (nodes[0].Reminders.Handle("stalling", Recorder(nodes[0].Name, async _ =>
            {
                claimed.TrySetResult();
                await stalled.Task;
            })))
            {
                await nodes[0].Reminders.RegisterAsync("stalling", "stuck", "run", TimeSpan.Zero);
                await claimed.Task.WaitAsync(TimeSpan.FromSeconds(10));
                nodes[1].Reminders.Handle("stalling", Recorder(nodes[1].Name));
                await Eventually.HoldsAsync(() => fired.Any(f => f.ActorId == "stuck"), "node-1 fired the stalled firing once the lease ended");
                Assert.Equal("node-1", fired.Single(f => f.ActorId == "stuck").Node);
                Assert.Equal(0, await RemindersLeftAsync(nodes[0].DataSource));
                // node-0 finishes late: its claim no longer stands, so it changes nothing (at least once: it did run).
                stalled.SetResult();
                await Eventually.HoldsAsync(() => fired.Count(f => f.ActorId == "stuck") == 2, "the stalled handler finished");
                Assert.Equal(0, await RemindersLeftAsync(nodes[0].DataSource));
            }
        }
        finally
        {
            await DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task An_unregistered_reminder_stops_firing_and_registering_again_replaces_it()
    {
        var nodes = await StartNodesAsync(2);
        try
        {
            foreach (var node in nodes)
            {
                node.Reminders.Handle(Type, Recorder(node.Name));
            }
            await nodes[0].Reminders.RegisterAsync(Type, "a", "tick", TimeSpan.Zero, TimeSpan.FromMilliseconds(100), JsonSerializer.SerializeToElement("v1"));
            await Eventually.HoldsAsync(() => fired.Count >= 2, "it fired twice");
            await nodes[1].Reminders.RegisterAsync(Type, "a", "tick", TimeSpan.Zero, TimeSpan.FromMilliseconds(100), JsonSerializer.SerializeToElement("v2"));
            await Eventually.HoldsAsync(() => fired.Any(f => f.Data?.GetString() == "v2"), "the replacement fired");
            var firstV2 = fired.ToList().FindIndex(f => f.Data?.GetString() == "v2");
            Assert.All(fired.Skip(firstV2 + 1), f => Assert.Equal("v2", f.Data?.GetString()));

            await nodes[1].Reminders.UnregisterAsync(Type, "a", "tick");
            await Task.Delay(150);   // a firing already claimed may still finish
            var after = fired.Count;
            await Task.Delay(400);
            Assert.Equal(after, fired.Count);
            Assert.Equal(0, await RemindersLeftAsync(nodes[0].DataSource));
            await nodes[0].Reminders.UnregisterAsync(Type, "a", "tick");   // absent: still fine
            Assert.Throws<InvalidOperationException>(() => nodes[0].Reminders.Handle(Type, Recorder("twice")));
        }
        finally
        {
            await DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task AddBuildingBlocks_wires_the_embedded_state_lock_and_reminders_and_runs_the_poller_as_a_hosted_service()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(NpgsqlDataSource.Create(await postgres.NewDatabaseAsync()));
        builder.Services.AddBuildingBlocks(new ChatConfig(), o => o.Reminders.PollInterval = TimeSpan.FromMilliseconds(50));
        using var host = builder.Build();
        Assert.IsType<EmbeddedStateStore>(host.Services.GetRequiredService<IStateStore>());
        Assert.IsType<EmbeddedDistributedLock>(host.Services.GetRequiredService<IDistributedLock>());
        var reminders = host.Services.GetRequiredService<IActorReminders>();
        reminders.Handle(Type, Recorder("host"));
        await host.Services.MigrateDatabaseAsync();
        await host.StartAsync();
        await reminders.RegisterAsync(Type, "wired", "run", TimeSpan.Zero);
        await Eventually.HoldsAsync(() => fired.Any(f => f.ActorId == "wired"), "the hosted poller fired the reminder");
        await host.StopAsync();
    }

    private static async Task<long> RemindersLeftAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM actor_reminders");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task DisposeAllAsync(IEnumerable<BlocksNode> nodes)
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }
}
