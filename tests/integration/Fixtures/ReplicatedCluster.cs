using System.Text.Json.Nodes;
using Chat.Testing;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaFixture>
{
    public const string Name = "replica";
}

[CollectionDefinition(Name)]
public sealed class FailoverCollection : ICollectionFixture<FailoverFixture>
{
    public const string Name = "failover";
}

/// <summary>Routing, replica outages and configuration reloads (the replica is restarted by the tests that stop it).</summary>
public sealed class ReplicaFixture : ReplicatedCluster;

/// <summary>The failover drill, which ends with the replica as primary and no replica: a cluster of its own.</summary>
public sealed class FailoverFixture : ReplicatedCluster;

/// <summary>
/// A private PostgreSQL primary with one streaming replica (pg_basebackup -R), and two api nodes that read their
/// configuration from a shared config.json (MM_CONFIG) naming both servers, as a production cluster would: the
/// tests change that file and reload, or change it through PUT /api/v4/config (ReadOnlyConfig is false here).
/// </summary>
public abstract class ReplicatedCluster : IAsyncLifetime
{
    /// <summary>Short, so tests that wait for it to pass stay quick.</summary>
    public const int ReadYourWritesMilliseconds = 1500;

    private readonly string _directory = Directory.CreateTempSubdirectory("chat-replicated-").FullName;

    public PostgresServer Postgres { get; private set; } = null!;

    public PostgresReplica Replica { get; private set; } = null!;

    public string DataSource { get; private set; } = "";

    public string ReplicaDataSource { get; private set; } = "";

    public string ConfigFile => Path.Combine(_directory, "config.json");

    public ServiceProcess Api1 { get; private set; } = null!;

    public ServiceProcess Api2 { get; private set; } = null!;

    public HttpClient Http { get; } = new(new ResponseContract(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }))
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public ApiClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        DataSource = await Postgres.CreateDatabaseAsync("chat");
        Replica = await Postgres.StartReplicaAsync();
        ReplicaDataSource = Replica.ConnectionString("chat", new Npgsql.NpgsqlConnectionStringBuilder(DataSource).Username!);
        var files = Directory.CreateDirectory(Path.Combine(_directory, "files")).FullName;
        await File.WriteAllTextAsync(ConfigFile, new JsonObject
        {
            ["SqlSettings"] = new JsonObject
            {
                ["DataSource"] = DataSource,
                ["DataSourceReplicas"] = new JsonArray(ReplicaDataSource),
                ["MaxOpenConns"] = 20,
                ["ReadYourWritesMilliseconds"] = ReadYourWritesMilliseconds,
            },
            ["ClusterSettings"] = new JsonObject { ["ReadOnlyConfig"] = false },
            ["FileSettings"] = new JsonObject { ["Directory"] = files },
        }.ToJsonString());
        var environment = new Dictionary<string, string> { ["MM_CONFIG"] = ConfigFile };
        Api1 = new ServiceProcess("api", "api-1", environment);
        Api2 = new ServiceProcess("api", "api-2", environment);
        await Task.WhenAll(Api1.StartAsync(), Api2.StartAsync());
        Admin = await ApiClient.NewUserAsync(Http, Api1.BaseUrl, Unique.Username("admin"));
    }

    public Task<ApiClient> NewUserAsync(ServiceProcess? node = null) =>
        ApiClient.NewUserAsync(Http, (node ?? Api1).BaseUrl, Unique.Username());

    /// <summary>Edits config.json as an operator would (the nodes see it on their next reload).</summary>
    public async Task EditConfigAsync(Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(ConfigFile))!.AsObject();
        edit(config);
        await File.WriteAllTextAsync(ConfigFile, config.ToJsonString());
    }

    /// <summary>The routing status of a node: reads per pool and whether each replica is in use.</summary>
    public async Task<JsonNode> RoutingAsync(ServiceProcess node) =>
        (await Admin.On(node.BaseUrl).GetAsync("/api/v4/database/routing")).Expect(200).Json;

    public static long Reads(JsonNode routing, string pool) =>
        pool == "primary" ? (long)routing["primary"]!["reads"]! : (long)routing["replicas"]!.AsArray().Single(p => (string?)p!["name"] == pool)!["reads"]!;

    public async Task DisposeAsync()
    {
        await Task.WhenAll(new[] { Api1, Api2 }.Where(n => n is not null).Select(n => n.DisposeAsync().AsTask()));
        if (Replica is not null)
        {
            await Replica.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        Http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
