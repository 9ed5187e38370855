using System.Text.Json.Nodes;

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
public abstract class ReplicatedCluster : TestClusterFixture
{
    /// <summary>Short, so tests that wait for it to pass stay quick.</summary>
    public const int ReadYourWritesMilliseconds = 1500;

    public PostgresReplica Replica => Cluster.Replicas[0];

    public string ReplicaDataSource => Cluster.ReplicaDataSources[0];

    public string ConfigFile => Cluster.ConfigFile;

    protected override TestClusterBuilder Build() => TestCluster.Create("chat")
        .WithReplicas(1)
        .WithConfigFile(config =>
        {
            config["SqlSettings"]!["ReadYourWritesMilliseconds"] = ReadYourWritesMilliseconds;
            config["ClusterSettings"] = new JsonObject { ["ReadOnlyConfig"] = false };
        })
        .WithApi(2);

    public Task EditConfigAsync(Action<JsonObject> edit) => Cluster.EditConfigAsync(edit);

    /// <summary>The routing status of a node: reads per pool and whether each replica is in use.</summary>
    public async Task<JsonNode> RoutingAsync(ServiceProcess node) =>
        (await Admin.On(node.BaseUrl).GetAsync("/api/v4/database/routing")).Expect(200).Json;

    public static long Reads(JsonNode routing, string pool) =>
        pool == "primary" ? (long)routing["primary"]!["reads"]! : (long)routing["replicas"]!.AsArray().Single(p => (string?)p!["name"] == pool)!["reads"]!;
}
