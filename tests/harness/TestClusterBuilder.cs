using System.Text.Json.Nodes;

namespace Chat.Testing;

/// <summary>
/// What a <see cref="TestCluster"/> is made of: its database (a private PostgreSQL, or a database on a server a test
/// already has; optional streaming replicas), its nodes by service, their MM_* settings (for every node, every node
/// of a service, or one node), whether the first admin is signed up, and an nginx edge in front.
/// <code>await TestCluster.Create("chat").WithApi(2).WithRealtime(2).WithSetting("MM_TEAMSETTINGS_MAXUSERSPERTEAM", "50").StartAsync()</code>
/// </summary>
public sealed class TestClusterBuilder
{
    internal TestClusterBuilder(string database) => Database = database;

    internal string Database { get; }

    internal PostgresServer? Server { get; private set; }

    internal int ReplicaCount { get; private set; }

    internal Action<JsonObject>? ConfigFile { get; private set; }

    internal bool UsesConfigFile { get; private set; }

    internal List<NodeSpec> Nodes { get; } = [];

    internal List<SettingRule> Rules { get; } = [];

    internal bool FirstAdmin { get; private set; } = true;

    internal bool CheckResponses { get; private set; } = true;

    internal bool AllAtOnce { get; private set; }

    internal bool Edge { get; private set; }

    internal bool LocalPluginFolders { get; private set; }

    /// <summary>The database on a server the test already runs (it stays up when the cluster goes).</summary>
    public TestClusterBuilder OnServer(PostgresServer server)
    {
        Server = server;
        return this;
    }

    /// <summary>Streaming replicas of the primary (a private server only), named in SqlSettings.DataSourceReplicas.</summary>
    public TestClusterBuilder WithReplicas(int count = 1)
    {
        ReplicaCount = count;
        return this;
    }

    /// <summary>
    /// The nodes read a shared config.json (MM_CONFIG) holding the database, pool and file store, as a production
    /// cluster does, so tests can edit it and reload; <paramref name="configure"/> adds to it.
    /// </summary>
    public TestClusterBuilder WithConfigFile(Action<JsonObject>? configure = null)
    {
        UsesConfigFile = true;
        ConfigFile = configure;
        return this;
    }

    /// <summary><paramref name="count"/> more api nodes, named api-1, api-2, …</summary>
    public TestClusterBuilder WithApi(int count = 1) => WithNodes("api", count);

    /// <summary><paramref name="count"/> more realtime nodes, started once the api nodes have made the schema.</summary>
    public TestClusterBuilder WithRealtime(int count = 1) => WithNodes("realtime", count);

    /// <summary><paramref name="count"/> more jobs nodes, started one after another (jobs-1 has the lowest node id).</summary>
    public TestClusterBuilder WithJobs(int count = 1) => WithNodes("jobs", count);

    /// <summary>One node with a name of its own and settings only it gets (on top of the cluster's).</summary>
    public TestClusterBuilder WithNode(string service, string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        Nodes.Add(new NodeSpec(service, name, settings));
        return this;
    }

    /// <summary>A setting every node gets, or every node of <paramref name="service"/>.</summary>
    public TestClusterBuilder WithSetting(string key, string value, string? service = null) => WithSetting(key, _ => value, service);

    /// <summary>A setting whose value depends on the node's name.</summary>
    public TestClusterBuilder WithSetting(string key, Func<string, string> valueForNode, string? service = null)
    {
        Rules.Add(new SettingRule(key, valueForNode, service));
        return this;
    }

    public TestClusterBuilder WithSettings(IReadOnlyDictionary<string, string> settings, string? service = null)
    {
        foreach (var (key, value) in settings)
        {
            WithSetting(key, value, service);
        }
        return this;
    }

    /// <summary>Each node its own PluginSettings.Directory (<see cref="TestCluster.LocalPlugins"/>), as nodes on different machines have.</summary>
    public TestClusterBuilder WithLocalPluginFolders()
    {
        LocalPluginFolders = true;
        return this;
    }

    /// <summary>No first user: for tests about the first sign-up itself, or that choose where it happens.</summary>
    public TestClusterBuilder WithoutAdmin()
    {
        FirstAdmin = false;
        return this;
    }

    /// <summary>The cluster's HttpClient does not check <see cref="ResponseContract"/>.</summary>
    public TestClusterBuilder WithoutResponseContract()
    {
        CheckResponses = false;
        return this;
    }

    /// <summary>Every node launched at once and then awaited, in no order: for start-up races on an empty database.</summary>
    public TestClusterBuilder StartingAllAtOnce()
    {
        AllAtOnce = true;
        return this;
    }

    /// <summary>The nginx edge in front of the api and realtime nodes, started last (<see cref="TestCluster.Edge"/>).</summary>
    public TestClusterBuilder WithEdge()
    {
        Edge = true;
        return this;
    }

    public Task<TestCluster> StartAsync() => TestCluster.StartAsync(this);

    private TestClusterBuilder WithNodes(string service, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Nodes.Add(new NodeSpec(service, TestCluster.NextName(service, Nodes.Select(n => n.Name)), null));
        }
        return this;
    }

    internal sealed record NodeSpec(string Service, string Name, IReadOnlyDictionary<string, string>? Settings);

    internal sealed record SettingRule(string Key, Func<string, string> Value, string? Service);
}
