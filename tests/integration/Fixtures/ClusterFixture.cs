using Chat.Testing;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>
/// One private PostgreSQL and, on one database, two api nodes as the local cluster runs them, plus a third
/// "restricted" node (closed sign-up, 4 KiB payload limit) for admin-only and oversized-body checks.
/// The first user signed up is the system admin. Tests share the nodes and create their own users and teams.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int RestrictedPayloadLimit = 4096;

    // The file store only ever holds the short-lived probe files of the admin ping, so one shared directory will do.
    private readonly string _fileStore = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "chat-test-files")).FullName;

    public PostgresServer Postgres { get; private set; } = null!;

    public string DataSource { get; private set; } = "";

    public ServiceProcess Api1 { get; private set; } = null!;

    public ServiceProcess Api2 { get; private set; } = null!;

    public ServiceProcess Restricted { get; private set; } = null!;

    /// <summary>Shared by every client; checks every response against the API's promises.</summary>
    public HttpClient Http { get; } = new(new ResponseContract(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }))
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public ApiClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        DataSource = await Postgres.CreateDatabaseAsync("chat");
        Api1 = new ServiceProcess("api", "api-1", NodeEnvironment(DataSource));
        Api2 = new ServiceProcess("api", "api-2", NodeEnvironment(DataSource));
        Restricted = new ServiceProcess("api", "api-restricted", NodeEnvironment(DataSource, new()
        {
            ["MM_TEAMSETTINGS_ENABLEOPENSERVER"] = "false",
            ["MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES"] = RestrictedPayloadLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        await Task.WhenAll(Api1.StartAsync(), Api2.StartAsync(), Restricted.StartAsync());
        // The first human user of a fresh system becomes system admin.
        Admin = await ApiClient.NewUserAsync(Http, Api1.BaseUrl, Unique.Username("admin"));
    }

    /// <summary>What every api node of a test gets: the database, a small pool and a private file store.</summary>
    public Dictionary<string, string> NodeEnvironment(string dataSource, Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["MM_SQLSETTINGS_DATASOURCE"] = dataSource,
            ["MM_SQLSETTINGS_MAXOPENCONNS"] = "20",
            ["MM_FILESETTINGS_DIRECTORY"] = _fileStore,
        };
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }
        return environment;
    }

    public ApiClient Anonymous(ServiceProcess node) => new(Http, node.BaseUrl);

    public Task<ApiClient> NewUserAsync(ServiceProcess? node = null, string prefix = "u") =>
        ApiClient.NewUserAsync(Http, (node ?? Api1).BaseUrl, Unique.Username(prefix));

    public async Task DisposeAsync()
    {
        await Task.WhenAll(new[] { Api1, Api2, Restricted }.Where(n => n is not null).Select(n => n.DisposeAsync().AsTask()));
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        Http.Dispose();
    }
}
