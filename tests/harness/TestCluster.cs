using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace Chat.Testing;

/// <summary>
/// A database and the nodes of our services on it, as real processes, built by <see cref="Create"/>. Every node gets
/// the database, a pool of 20 connections and the cluster's file store, then the settings the builder was given.
/// The api nodes start first and in parallel (they migrate the schema), then the realtime nodes in parallel, the
/// jobs nodes one by one, and the first user signs up (the system admin). Nodes are killed
/// (<see cref="ServiceProcess.Kill"/>), stopped and started again through their <see cref="ServiceProcess"/>; disposal
/// ends every node, the edge, the replicas, the server (when the cluster started it) and the cluster's folder.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private const string NodeLogsVariable = "CHAT_TEST_NODE_LOGS";

    private readonly TestClusterBuilder _spec;
    private readonly bool _ownsServer;
    private readonly List<ServiceProcess> _nodes = [];
    private readonly List<PostgresReplica> _replicas = [];
    private ApiClient? _admin;
    private EdgeProxy? _edge;

    private TestCluster(TestClusterBuilder spec, PostgresServer server, bool ownsServer)
    {
        _spec = spec;
        _ownsServer = ownsServer;
        Postgres = server;
        var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false };
        Http = new HttpClient(spec.CheckResponses ? new ResponseContract(handler) : handler) { Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>A cluster on a new database named <paramref name="database"/> (suffixed on a shared server).</summary>
    public static TestClusterBuilder Create(string database = "chat") => new(database);

    public PostgresServer Postgres { get; }

    public IReadOnlyList<PostgresReplica> Replicas => _replicas;

    /// <summary>The primary's connection string (SqlSettings.DataSource).</summary>
    public string DataSource { get; private set; } = "";

    /// <summary>The replicas' connection strings (SqlSettings.DataSourceReplicas), in order.</summary>
    public IReadOnlyList<string> ReplicaDataSources { get; private set; } = [];

    /// <summary>For tests that look at the tables or write to them directly.</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    /// <summary>A temporary folder of this cluster's own, removed with it.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("chat-cluster-").FullName;

    /// <summary>FileSettings.Directory of every node, as nodes share a NAS.</summary>
    public string FileStore => Path.Combine(Folder, "files");

    /// <summary>The shared config.json of <see cref="TestClusterBuilder.WithConfigFile"/>.</summary>
    public string ConfigFile => Path.Combine(Folder, "config.json");

    /// <summary>Shared by every client of this cluster; checks every response against <see cref="ResponseContract"/> unless built without.</summary>
    public HttpClient Http { get; }

    /// <summary>The first user signed up: the system admin.</summary>
    public ApiClient Admin => _admin ?? throw new InvalidOperationException("This cluster was built without its first admin.");

    /// <summary>The edge of <see cref="TestClusterBuilder.WithEdge"/>.</summary>
    public EdgeProxy Edge => _edge ?? throw new InvalidOperationException("This cluster was built without an edge.");

    /// <summary>Every node of the cluster, in the order they were added.</summary>
    public IReadOnlyList<ServiceProcess> Nodes
    {
        get
        {
            lock (_nodes)
            {
                return [.. _nodes];
            }
        }
    }

    public IReadOnlyList<ServiceProcess> Api => Of("api");

    public IReadOnlyList<ServiceProcess> Realtime => Of("realtime");

    public IReadOnlyList<ServiceProcess> Jobs => Of("jobs");

    public ServiceProcess Node(string name) => Nodes.Single(n => n.Name == name);

    internal static async Task<TestCluster> StartAsync(TestClusterBuilder spec)
    {
        var server = spec.Server ?? await PostgresServer.StartAsync();
        var cluster = new TestCluster(spec, server, ownsServer: spec.Server is null);
        try
        {
            await cluster.StartAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        DataSource = await Postgres.CreateDatabaseAsync(_spec.Database);
        Database = NpgsqlDataSource.Create(DataSource);
        var primary = new NpgsqlConnectionStringBuilder(DataSource);
        for (var i = 0; i < _spec.ReplicaCount; i++)
        {
            _replicas.Add(await Postgres.StartReplicaAsync());
        }
        ReplicaDataSources = [.. _replicas.Select(r => r.ConnectionString(primary.Database!, primary.Username!))];
        Directory.CreateDirectory(FileStore);
        if (_spec.UsesConfigFile)
        {
            await WriteConfigFileAsync();
        }
        foreach (var node in _spec.Nodes)
        {
            Track(NewNode(node.Service, node.Name, node.Settings));
        }
        if (_spec.AllAtOnce)
        {
            var nodes = Nodes;
            foreach (var node in nodes)
            {
                node.Launch();
            }
            await Task.WhenAll(nodes.Select(n => n.WaitReadyAsync(ServiceProcess.ReadyTimeout)));
            await SignUpAdminAsync();
        }
        else
        {
            // The api nodes migrate the schema, which the other services read.
            await Task.WhenAll(Api.Select(n => n.StartAsync()));
            await Task.WhenAll(SignUpAdminAsync(), Task.WhenAll(Realtime.Select(n => n.StartAsync())), StartOneByOneAsync(Jobs));
        }
        if (_spec.Edge)
        {
            _edge = await StartEdgeAsync();
        }
    }

    /// <summary>
    /// A node configured as this cluster's nodes are (plus <paramref name="settings"/>), not started and not part of
    /// the cluster: the test starts it (or launches it to watch it fail) and disposes it.
    /// </summary>
    public ServiceProcess NewNode(string service, string name, IReadOnlyDictionary<string, string>? settings = null) =>
        new(service, name, NodeEnvironment(service, name, settings));

    /// <summary>Starts one more node of the cluster (named after its service unless <paramref name="name"/> is given).</summary>
    public async Task<ServiceProcess> AddNodeAsync(string service, string? name = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        ServiceProcess node;
        lock (_nodes)
        {
            node = NewNode(service, name ?? NextName(service, _nodes.Select(n => n.Name)), settings);
            _nodes.Add(node);
        }
        await node.StartAsync();
        return node;
    }

    /// <summary>Starts a node again (same name and port) if a test killed or stopped it.</summary>
    public async Task EnsureRunningAsync(ServiceProcess node)
    {
        if (!node.IsRunning)
        {
            await node.StartAsync();
        }
    }

    /// <summary>An nginx edge in front of <paramref name="nodes"/> (by default every api and realtime node); the caller disposes it.</summary>
    public Task<EdgeProxy> StartEdgeAsync(IEnumerable<ServiceProcess>? nodes = null)
    {
        var behind = (nodes ?? Nodes).ToList();
        return EdgeProxy.StartAsync(
            [.. behind.Where(n => n.Service == "api").Select(n => n.BaseUrl)],
            [.. behind.Where(n => n.Service == "realtime").Select(n => n.BaseUrl)]);
    }

    /// <summary>A node's own PluginSettings.Directory (<see cref="TestClusterBuilder.WithLocalPluginFolders"/>).</summary>
    public string LocalPlugins(string nodeName) => Path.Combine(Folder, "nodes", nodeName, "plugins");

    public ApiClient Anonymous(ServiceProcess? node = null) => new(Http, (node ?? Api[0]).BaseUrl);

    /// <summary>A new user signed up and logged in through <paramref name="node"/> (the first api node by default).</summary>
    public Task<ApiClient> NewUserAsync(ServiceProcess? node = null, string prefix = "u") =>
        ApiClient.NewUserAsync(Http, (node ?? Api[0]).BaseUrl, Unique.Username(prefix));

    /// <summary>Edits config.json as an operator would (the nodes see it on their next reload).</summary>
    public async Task EditConfigAsync(Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(ConfigFile))!.AsObject();
        edit(config);
        await File.WriteAllTextAsync(ConfigFile, config.ToJsonString());
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task<List<T>> ColumnAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        var values = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }
        return values;
    }

    /// <summary>Runs a statement with a generous timeout, for bulk loads.</summary>
    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The end of every node's output, for failure messages.</summary>
    public string Logs() => string.Join("\n", Nodes.Select(n => $"=== {n.Name}\n{Tail(n.Output)}"));

    public async ValueTask DisposeAsync()
    {
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
        var nodes = Nodes;
        await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
        // CHAT_TEST_NODE_LOGS=<directory> keeps every node's output for a look after the run.
        if (Environment.GetEnvironmentVariable(NodeLogsVariable) is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            foreach (var node in nodes)
            {
                await File.WriteAllTextAsync(Path.Combine(logs, $"{_spec.Database}.{node.Name}.log"), node.Output);
            }
        }
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }
        if (_ownsServer)
        {
            await Postgres.DisposeAsync();
        }
        Http.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a process that is going away; the temporary folder is cleaned eventually anyway.
        }
    }

    internal static string NextName(string service, IEnumerable<string> taken)
    {
        var names = taken.ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(1, int.MaxValue).Select(i => $"{service}-{i}").First(n => !names.Contains(n));
    }

    /// <summary>What a node gets: the cluster's database and file store (or its config file), then the builder's settings, then its own.</summary>
    private Dictionary<string, string> NodeEnvironment(string service, string name, IReadOnlyDictionary<string, string>? own)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_spec.UsesConfigFile)
        {
            environment["MM_CONFIG"] = ConfigFile;
        }
        else
        {
            environment["MM_SQLSETTINGS_DATASOURCE"] = DataSource;
            environment["MM_SQLSETTINGS_MAXOPENCONNS"] = "20";
            environment["MM_FILESETTINGS_DIRECTORY"] = FileStore;
            if (ReplicaDataSources.Count > 0)
            {
                // Lists in MM_* variables are space-separated.
                environment["MM_SQLSETTINGS_DATASOURCEREPLICAS"] = string.Join(' ', ReplicaDataSources);
            }
        }
        // Every test client is 127.0.0.1, and the suites sign up users by the hundred; tests of these limits lower them.
        environment["MM_RATELIMITSETTINGS_LOGINANDSIGNUPPERMINUTE"] = "1000000";
        environment["MM_RATELIMITSETTINGS_LOGINANDSIGNUPMAXBURST"] = "100000";
        environment["MM_SERVICESETTINGS_MAXIMUMUNAUTHENTICATEDWEBSOCKETCONNECTIONSPERADDRESS"] = "100000";
        if (_spec.LocalPluginFolders)
        {
            environment["MM_PLUGINSETTINGS_DIRECTORY"] = LocalPlugins(name);
        }
        foreach (var rule in _spec.Rules.Where(r => r.Service is null || r.Service == service))
        {
            environment[rule.Key] = rule.Value(name);
        }
        foreach (var (key, value) in own ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        return environment;
    }

    private Task WriteConfigFileAsync()
    {
        var config = new JsonObject
        {
            ["SqlSettings"] = new JsonObject
            {
                ["DataSource"] = DataSource,
                ["DataSourceReplicas"] = new JsonArray([.. ReplicaDataSources.Select(s => (JsonNode?)JsonValue.Create(s))]),
                ["MaxOpenConns"] = 20,
            },
            ["FileSettings"] = new JsonObject { ["Directory"] = FileStore },
        };
        _spec.ConfigFile?.Invoke(config);
        return File.WriteAllTextAsync(ConfigFile, config.ToJsonString());
    }

    private async Task SignUpAdminAsync()
    {
        if (_spec.FirstAdmin && Api.Count > 0)
        {
            _admin = await ApiClient.NewUserAsync(Http, Api[0].BaseUrl, Unique.Username("admin"));
        }
    }

    private static async Task StartOneByOneAsync(IEnumerable<ServiceProcess> nodes)
    {
        foreach (var node in nodes)
        {
            await node.StartAsync();
        }
    }

    private void Track(ServiceProcess node)
    {
        lock (_nodes)
        {
            _nodes.Add(node);
        }
    }

    private IReadOnlyList<ServiceProcess> Of(string service) => [.. Nodes.Where(n => n.Service == service)];

    private NpgsqlCommand Command(string sql, object[] parameters)
    {
        var command = Database.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        return command;
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : "…" + text[^6000..];
}
