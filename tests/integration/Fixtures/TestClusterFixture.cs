namespace Chat.IntegrationTests;

/// <summary>
/// An xunit fixture holding one <see cref="TestCluster"/>: a subclass says what the cluster is made of, and the tests
/// of its collection share it. What tests use most is at hand here; the rest is on <see cref="Cluster"/>.
/// </summary>
public abstract class TestClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public PostgresServer Postgres => Cluster.Postgres;

    public string DataSource => Cluster.DataSource;

    public Npgsql.NpgsqlDataSource Database => Cluster.Database;

    public HttpClient Http => Cluster.Http;

    public ApiClient Admin => Cluster.Admin;

    public ServiceProcess Api1 => Cluster.Api[0];

    public ServiceProcess Api2 => Cluster.Api[1];

    protected abstract TestClusterBuilder Build();

    public virtual async Task InitializeAsync() => Cluster = await Build().StartAsync();

    public ApiClient Anonymous(ServiceProcess node) => Cluster.Anonymous(node);

    public Task<ApiClient> NewUserAsync(ServiceProcess? node = null, string prefix = "u") => Cluster.NewUserAsync(node, prefix);

    /// <summary>A node like this cluster's, on its database; the test starts and disposes it.</summary>
    public ServiceProcess NewNode(string service, string name, IReadOnlyDictionary<string, string>? settings = null) =>
        Cluster.NewNode(service, name, settings);

    public virtual async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
