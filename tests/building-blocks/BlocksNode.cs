using Chat.BuildingBlocks.Embedded;
using Chat.BuildingBlocks.Locks.Embedded;
using Chat.BuildingBlocks.Reminders.Embedded;
using Chat.BuildingBlocks.State.Embedded;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// Stands for one node's embedded state store, lock and reminders: its own connection pool (as a separate process
/// would have) and its own reminder poller, running from the start.
/// </summary>
internal sealed class BlocksNode : IAsyncDisposable
{
    private BlocksNode(string name, NpgsqlDataSource dataSource, EmbeddedActorReminders reminders, ExpiredRowPruner pruner)
    {
        Name = name;
        DataSource = dataSource;
        State = new EmbeddedStateStore(dataSource);
        Lock = new EmbeddedDistributedLock(dataSource);
        Reminders = reminders;
        Pruner = pruner;
    }

    public string Name { get; }
    public NpgsqlDataSource DataSource { get; }
    public EmbeddedStateStore State { get; }
    public EmbeddedDistributedLock Lock { get; }
    public EmbeddedActorReminders Reminders { get; }
    public ExpiredRowPruner Pruner { get; }

    public static async Task<BlocksNode> StartAsync(string connectionString, string name, ITestOutputHelper output, Action<BuildingBlocksOptions>? configure = null)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString) { ConnectionStringBuilder = { ApplicationName = name } }.Build();
        var options = new BuildingBlocksOptions();
        options.Reminders.PollInterval = TimeSpan.FromMilliseconds(50);
        options.Reminders.RetryDelay = TimeSpan.FromMilliseconds(100);
        configure?.Invoke(options);
        var logs = TestLogs.Factory(output, name);
        await TestSchema.MigrateAsync(dataSource, logs);
        var reminders = new EmbeddedActorReminders(dataSource, options, logs.CreateLogger<EmbeddedActorReminders>());
        await reminders.StartAsync(CancellationToken.None);
        return new BlocksNode(name, dataSource, reminders, new ExpiredRowPruner(dataSource, options, logs.CreateLogger<ExpiredRowPruner>()));
    }

    private int disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        await Reminders.StopAsync(CancellationToken.None);
        Reminders.Dispose();
        await DataSource.DisposeAsync();
    }
}

internal static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails after <paramref name="timeout"/> (10 s).</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, timeout);
}
