using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class PluginRuntimeCollection : ICollectionFixture<PluginRuntimeFixture>
{
    public const string Name = "plugin-runtime";
}

/// <summary>
/// Three api nodes (and a realtime node) on one database running real plugin processes, installed as an admin installs them (upload,
/// enable; each node unpacks and starts its own copy). Hooks time out after <see cref="HookTimeoutMilliseconds"/>;
/// request bodies may be large enough for the 1 MiB KV limit; plugin settings: "probe" has a greeting,
/// "probe-schedule" runs its job every <see cref="ScheduleMilliseconds"/>, "faulty-start" fails to activate,
/// "channel-digest" sends its digest every 2 s.
/// Shared plugins are installed once (<see cref="EnsureInstalledAsync"/>); tests remove the ones they break or that keep working in the background.
/// </summary>
public sealed class PluginRuntimeFixture : TestClusterFixture
{
    public const int HookTimeoutMilliseconds = 5000;
    public const int ScheduleMilliseconds = 500;
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task>> _installed = new();

    public IReadOnlyList<ServiceProcess> Nodes => Cluster.Api;

    /// <summary>Delivers WebSocket events, plugins' custom ones included.</summary>
    public ServiceProcess Realtime => Cluster.Realtime[0];

    /// <summary>For answers a plugin chose, or a 5xx the server gives on purpose (a plugin that does not answer).</summary>
    public HttpClient RawHttp { get; } = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };

    protected override TestClusterBuilder Build() => TestCluster.Create("plugin_runtime")
        .WithApi(3)
        .WithRealtime()
        .WithSetting("MM_SQLSETTINGS_MAXOPENCONNS", "10")
        .WithLocalPluginFolders()
        .WithSettings(new Dictionary<string, string>
        {
            ["MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES"] = "3000000",
            ["MM_PLUGINSETTINGS_ENABLEUPLOADS"] = "true",
            ["MM_PLUGINSETTINGS_HOOKTIMEOUTMILLISECONDS"] = HookTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture),
            ["MM_PLUGINSETTINGS_PLUGINS"] = new JsonObject
            {
                ["probe"] = new JsonObject { ["Greeting"] = "hello" },
                ["probe-schedule"] = new JsonObject { ["ScheduleMilliseconds"] = ScheduleMilliseconds },
                ["faulty-start"] = new JsonObject { ["FailActivation"] = true },
                ["channel-digest"] = new JsonObject { ["IntervalSeconds"] = 2 },
            }.ToJsonString(),
        }, service: "api");

    public ApiClient User(ApiClient user, int node) => user.On(Nodes[node].BaseUrl);

    public ApiClient Anonymous(int node) => Anonymous(Nodes[node]);

    public Task<ApiClient> NewUserAsync(int node) => NewUserAsync(Nodes[node]);

    /// <summary>
    /// The bundle a plugin project's build made (services/plugins/… or tests/plugins/…), with its manifest's id
    /// changed to <paramref name="id"/> when given: one build installed under several ids.
    /// </summary>
    public static byte[] Bundle(string project, string? id = null)
    {
        var path = Path.Combine(Repository.Root, project, "bin", Repository.BuildConfiguration, Path.GetFileName(project) + ".tar.gz");
        var original = File.ReadAllBytes(path);
        if (id is null)
        {
            return original;
        }
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip))
        using (var reader = new TarReader(new GZipStream(new MemoryStream(original), CompressionMode.Decompress)))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name == "plugin.json")
                {
                    var manifest = JsonNode.Parse(entry.DataStream!)!;
                    manifest["id"] = id;
                    entry.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()));
                }
                writer.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }

    /// <summary>Uploads (replacing any earlier copy), enables, and waits until every live api node reports <paramref name="expectedState"/>.</summary>
    public async Task InstallAsync(string id, byte[] bundle, int expectedState = 2)
    {
        (await PluginsFixture.UploadAsync(Admin, bundle, force: true)).Expect(201);
        (await Admin.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(200);
        await WaitForStatusesAsync(id, s => s.State == expectedState);
    }

    /// <summary>Installs the plugin once for all the tests that share it (they keep their data apart by key).</summary>
    public Task EnsureInstalledAsync(string id, string project) =>
        _installed.GetOrAdd(id, _ => new Lazy<Task>(() => InstallAsync(id, Bundle(project, id)))).Value;

    public async Task RemoveAsync(string id) => (await Admin.DeleteAsync($"/api/v4/plugins/{id}")).Expect(200);

    public sealed record Status(string PluginId, string NodeId, int State, string Error);

    public async Task<IReadOnlyList<Status>> StatusesAsync(string pluginId) =>
        [.. (await Admin.GetAsync("/api/v4/plugins/statuses")).Expect(200).Json.AsArray()
            .Where(s => (string)s!["plugin_id"]! == pluginId)
            .Select(s => new Status(pluginId, (string)s!["cluster_id"]!, (int)s["state"]!, (string?)s["error"] ?? ""))];

    /// <summary>Waits until every live api node reports the plugin and each entry satisfies <paramref name="condition"/>.</summary>
    public async Task<IReadOnlyList<Status>> WaitForStatusesAsync(string pluginId, Func<Status, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var live = (await Admin.GetAsync("/api/v4/cluster/status")).Expect(200).Json.AsArray()
                .Where(n => (string)n!["service"]! == "api" && (string)n["status"]! != "down").Select(n => (string)n!["id"]!).ToHashSet();
            var statuses = await StatusesAsync(pluginId);
            if (statuses.Count > 0 && statuses.Select(s => s.NodeId).ToHashSet().SetEquals(live) && statuses.All(condition))
            {
                return statuses;
            }
            Assert.True(clock.Elapsed < Within, $"Statuses of {pluginId}: {string.Join("; ", statuses)} (live api nodes: {string.Join(", ", live)})");
            await Task.Delay(100);
        }
    }

    /// <summary>The status one node reports, once it satisfies <paramref name="condition"/>.</summary>
    public async Task<Status> WaitForStatusAsync(string pluginId, ServiceProcess node, Func<Status, bool> condition)
    {
        var nodeId = await NodeIdAsync(node);
        return await WaitForAsync(async () => (await StatusesAsync(pluginId)).SingleOrDefault(s => s.NodeId == nodeId) is { } s && condition(s) ? s : null,
            $"the status of {pluginId} on {node.Name}");
    }

    public async Task<string> NodeIdAsync(ServiceProcess node) =>
        (string)(await Admin.GetAsync("/api/v4/cluster/status")).Expect(200).Json.AsArray().Single(n => (string)n!["hostname"]! == node.Name)!["id"]!;

    /// <summary>Polls until <paramref name="probe"/> returns something (or the time is up).</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            Assert.True(clock.Elapsed < Within, $"Gave up waiting for {what} after {clock.Elapsed.TotalSeconds:F0} s.");
            await Task.Delay(100);
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        RawHttp.Dispose();
    }
}
