using System.Globalization;
using Chat.Testing;
using Npgsql;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class RealtimeCollection : ICollectionFixture<RealtimeFixture>
{
    public const string Name = "realtime";
}

/// <summary>
/// One private PostgreSQL and, on one database, two api nodes and two realtime nodes, as the local cluster runs
/// them. Tests create their own users, teams and channels; a test that kills a realtime node starts it again.
/// </summary>
public sealed class RealtimeFixture : IAsyncLifetime
{
    private readonly string _fileStore = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "chat-test-files")).FullName;

    public PostgresServer Postgres { get; private set; } = null!;

    public string DataSource { get; private set; } = "";

    /// <summary>For tests that look at or age the realtime tables, or write to the event log directly.</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    public ServiceProcess Api1 { get; private set; } = null!;

    public ServiceProcess Api2 { get; private set; } = null!;

    public ServiceProcess Realtime1 { get; private set; } = null!;

    public ServiceProcess Realtime2 { get; private set; } = null!;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        DataSource = await Postgres.CreateDatabaseAsync("realtime");
        Database = NpgsqlDataSource.Create(DataSource);
        Api1 = new ServiceProcess("api", "api-1", NodeEnvironment());
        Api2 = new ServiceProcess("api", "api-2", NodeEnvironment());
        Realtime1 = new ServiceProcess("realtime", "realtime-1", NodeEnvironment());
        Realtime2 = new ServiceProcess("realtime", "realtime-2", NodeEnvironment());
        // The api nodes first: they create the store's tables, which the realtime nodes read.
        await Task.WhenAll(Api1.StartAsync(), Api2.StartAsync());
        await Task.WhenAll(Realtime1.StartAsync(), Realtime2.StartAsync());
        // The first user of a fresh system is its admin; tests use ordinary users.
        await ApiClient.NewUserAsync(Http, Api1.BaseUrl, Unique.Username("admin"));
    }

    public Dictionary<string, string> NodeEnvironment(Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["MM_SQLSETTINGS_DATASOURCE"] = DataSource,
            ["MM_SQLSETTINGS_MAXOPENCONNS"] = "20",
            ["MM_FILESETTINGS_DIRECTORY"] = _fileStore,
        };
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }
        return environment;
    }

    public Task<ApiClient> NewUserAsync(ServiceProcess? node = null, string prefix = "u") =>
        ApiClient.NewUserAsync(Http, (node ?? Api1).BaseUrl, Unique.Username(prefix));

    /// <summary>A realtime node that a test killed is started again (same port, same name).</summary>
    public async Task EnsureRunningAsync(ServiceProcess node)
    {
        if (!node.IsRunning)
        {
            await node.StartAsync();
        }
    }

    /// <summary>
    /// Appends events to the log's websocket topic directly (in DESIGN.md's payload shape), as the api would, and
    /// rings the readers' doorbell: for floods no API call could produce quickly.
    /// </summary>
    public async Task AppendEventsAsync(IReadOnlyList<string> payloads)
    {
        await using var batch = Database.CreateBatch();
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO cluster_events (id, topic, type, data)
            SELECT 'test-' || gen_random_uuid(), 'websocket', e.data::jsonb ->> 'event', e.data::jsonb
            FROM unnest($1::text[]) WITH ORDINALITY AS e (data, n) ORDER BY e.n
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = payloads.ToArray() });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify('cluster_events.websocket', '')"));
        await batch.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        var nodes = new[] { Realtime1, Realtime2, Api1, Api2 }.Where(n => n is not null).ToList();
        await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
        // CHAT_TEST_NODE_LOGS=<directory> keeps every node's output for a look after the run.
        if (Environment.GetEnvironmentVariable("CHAT_TEST_NODE_LOGS") is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            foreach (var node in nodes)
            {
                await File.WriteAllTextAsync(Path.Combine(logs, $"{node.Name}.log"), node.Output);
            }
        }
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        Http.Dispose();
    }
}
