using System.Globalization;
using System.Net.Http.Headers;
using Chat.Testing;
using Npgsql;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class PluginsCollection : ICollectionFixture<PluginsFixture>
{
    public const string Name = "plugins";
}

/// <summary>
/// One private PostgreSQL and two api nodes on one database, sharing a file store (as nodes share a NAS) but each
/// with its own local plugin folder (as nodes on different machines have). Plugin uploads are on; the upload limit
/// is small (<see cref="MaxFileSize"/>) and so is the unpacked limit, so the size tests stay fast. Tests use plugin
/// ids of their own.
/// </summary>
public sealed class PluginsFixture : IAsyncLifetime
{
    public const long MaxFileSize = 2 * 1024 * 1024;
    public const long MaxUnpackedBytes = 8 * 1024 * 1024;

    private readonly string _root = Directory.CreateTempSubdirectory("chat-plugins-").FullName;
    private readonly List<ServiceProcess> _extraNodes = [];

    public PostgresServer Postgres { get; private set; } = null!;

    public string DataSource { get; private set; } = "";

    public NpgsqlDataSource Database { get; private set; } = null!;

    /// <summary>The shared file store (FileSettings.Directory).</summary>
    public string FileStore => Path.Combine(_root, "files");

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
        DataSource = await Postgres.CreateDatabaseAsync("plugins");
        Database = NpgsqlDataSource.Create(DataSource);
        Api1 = NewNode("api-1");
        Api2 = NewNode("api-2");
        await Task.WhenAll(Api1.StartAsync(), Api2.StartAsync());
        Admin = await ApiClient.NewUserAsync(Http, Api1.BaseUrl, Unique.Username("admin"));
    }

    /// <summary>An api node of this cluster (not started); its local plugin folder is <see cref="LocalPlugins"/>.</summary>
    public ServiceProcess NewNode(string name, Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["MM_SQLSETTINGS_DATASOURCE"] = DataSource,
            ["MM_SQLSETTINGS_MAXOPENCONNS"] = "10",
            ["MM_FILESETTINGS_DIRECTORY"] = FileStore,
            ["MM_FILESETTINGS_MAXFILESIZE"] = MaxFileSize.ToString(CultureInfo.InvariantCulture),
            ["MM_PLUGINSETTINGS_ENABLEUPLOADS"] = "true",
            ["MM_PLUGINSETTINGS_DIRECTORY"] = LocalPlugins(name),
            ["MM_PLUGINSETTINGS_MAXUNPACKEDBUNDLEBYTES"] = MaxUnpackedBytes.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }
        var node = new ServiceProcess("api", name, environment);
        if (name is not ("api-1" or "api-2"))
        {
            _extraNodes.Add(node);
        }
        return node;
    }

    /// <summary>A node's own PluginSettings.Directory.</summary>
    public string LocalPlugins(string nodeName) => Path.Combine(_root, nodeName, "plugins");

    public Task<ApiClient> NewUserAsync(ServiceProcess? node = null, string prefix = "u") =>
        ApiClient.NewUserAsync(Http, (node ?? Api1).BaseUrl, Unique.Username(prefix));

    public static async Task<ApiResponse> UploadAsync(ApiClient client, byte[] bundle, bool? force = null, string field = "plugin")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bundle);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        form.Add(file, field, "plugin.tar.gz");
        if (force is { } f)
        {
            form.Add(new StringContent(f ? "true" : "false"), "force");
        }
        return await client.SendAsync(HttpMethod.Post, "/api/v4/plugins", form);
    }

    public async Task<long> PluginRowsAsync(string pluginId)
    {
        await using var command = Database.CreateCommand("SELECT count(*) FROM plugins WHERE id = $1");
        command.Parameters.AddWithValue(pluginId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Everything in the shared plugin folder (bundles and any temporary files).</summary>
    public IReadOnlyList<string> SharedPluginFiles() =>
        Directory.Exists(Path.Combine(FileStore, "plugins"))
            ? [.. Directory.EnumerateFileSystemEntries(Path.Combine(FileStore, "plugins")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
            : [];

    public async Task DisposeAsync()
    {
        await Task.WhenAll(new[] { Api1, Api2 }.Concat(_extraNodes).Where(n => n is not null).Select(n => n.DisposeAsync().AsTask()));
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        Http.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A plugin process still holding a file; the temporary folder goes with the machine.
        }
    }
}
