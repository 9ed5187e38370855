using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.BuildingBlocks.PubSub.Embedded;
using Chat.SchemaMigrations;
using Chat.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>One private PostgreSQL for the building-block tests; each test takes a fresh database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private int databases;

    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync($"bb_{Interlocked.Increment(ref databases)}");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>;

/// <summary>
/// Stands for one node: its own connection pool (tagged with the node's name, so a test can find and kill its
/// sessions) and its own embedded event bus, as a separate process would have.
/// </summary>
internal sealed class EmbeddedNode : IAsyncDisposable
{
    private EmbeddedNode(string name, NpgsqlDataSource dataSource, EmbeddedEventBus bus)
    {
        Name = name;
        DataSource = dataSource;
        Bus = bus;
    }

    public string Name { get; }
    public NpgsqlDataSource DataSource { get; }
    public EmbeddedEventBus Bus { get; }

    /// <param name="beforeStart">Subscriptions a durable consumer must have when it resumes.</param>
    public static async Task<EmbeddedNode> StartAsync(string connectionString, string name, ITestOutputHelper output, Action<BuildingBlocksOptions>? configure = null, Action<IEventBus>? beforeStart = null)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString) { ConnectionStringBuilder = { ApplicationName = name, MaxPoolSize = 40 } }.Build();
        var options = new BuildingBlocksOptions();
        options.Embedded.PollInterval = TimeSpan.FromSeconds(5);
        configure?.Invoke(options);
        var logs = TestLogs.Factory(output, name);
        await TestSchema.MigrateAsync(dataSource, logs);
        var bus = new EmbeddedEventBus(dataSource, options, logs.CreateLogger<EmbeddedEventBus>());
        beforeStart?.Invoke(bus);
        await bus.StartAsync(CancellationToken.None);
        return new EmbeddedNode(name, dataSource, bus);
    }

    /// <summary>Cuts this node's database sessions, as a network failure or a database restart would.</summary>
    public async Task KillSessionsAsync(NpgsqlDataSource admin)
    {
        await using var command = admin.CreateCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Name });
        await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}

/// <summary>Records what a handler receives and lets a test wait for it.</summary>
internal sealed class EventCollector
{
    private readonly List<ClusterEvent> received = [];

    public ClusterEventHandler Handler => (e, _) =>
    {
        lock (received)
        {
            received.Add(e);
        }
        return Task.CompletedTask;
    };

    public List<ClusterEvent> Received
    {
        get
        {
            lock (received)
            {
                return [.. received];
            }
        }
    }

    public List<string> Ids => [.. Received.Select(e => e.Id)];

    public async Task WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Received {Received.Count} of {count} events.");
            }
            await Task.Delay(5);
        }
    }

    /// <summary>Waits a while and fails if anything (more than <paramref name="count"/>) arrives meanwhile.</summary>
    public async Task AssertStaysAtAsync(int count, TimeSpan wait)
    {
        await Task.Delay(wait);
        Assert.Equal(count, Received.Count);
    }
}

internal static class Events
{
    public static ClusterEvent New(string topic, object data, string type = "test") => ClusterEvent.Create(topic, type, data);

    public static T Field<T>(this ClusterEvent e, string name) => e.Data.GetProperty(name).Deserialize<T>()!;
}

/// <summary>Warnings and errors of the code under test go to the test's output.</summary>
/// <summary>The building blocks' tables, as a service's start-up migration creates them.</summary>
internal static class TestSchema
{
    public static Task MigrateAsync(NpgsqlDataSource dataSource, ILoggerFactory logs) =>
        SchemaMigrator.MigrateAsync(dataSource, [BuildingBlocksServiceCollectionExtensions.Migrations], logs.CreateLogger(nameof(SchemaMigrator)), CancellationToken.None);
}

internal static class TestLogs
{
    public static ILoggerFactory Factory(ITestOutputHelper output, string node) =>
        LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddProvider(new Provider(output, node)));

    private sealed class Provider(ITestOutputHelper output, string node) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(output, node);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(ITestOutputHelper output, string node) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => NullLogger.Instance.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"[{node}] {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " — " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; nobody reads its output any more.
            }
        }
    }
}
