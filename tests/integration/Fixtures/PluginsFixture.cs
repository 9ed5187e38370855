using System.Globalization;
using System.Net.Http.Headers;

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
public sealed class PluginsFixture : TestClusterFixture
{
    public const long MaxFileSize = 2 * 1024 * 1024;
    public const long MaxUnpackedBytes = 8 * 1024 * 1024;

    /// <summary>The shared file store (FileSettings.Directory).</summary>
    public string FileStore => Cluster.FileStore;

    protected override TestClusterBuilder Build() => TestCluster.Create("plugins")
        .WithApi(2)
        .WithLocalPluginFolders()
        .WithSettings(new Dictionary<string, string>
        {
            ["MM_SQLSETTINGS_MAXOPENCONNS"] = "10",
            ["MM_FILESETTINGS_MAXFILESIZE"] = MaxFileSize.ToString(CultureInfo.InvariantCulture),
            ["MM_PLUGINSETTINGS_ENABLEUPLOADS"] = "true",
            ["MM_PLUGINSETTINGS_MAXUNPACKEDBUNDLEBYTES"] = MaxUnpackedBytes.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>A node's own PluginSettings.Directory.</summary>
    public string LocalPlugins(string nodeName) => Cluster.LocalPlugins(nodeName);

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

    public Task<long> PluginRowsAsync(string pluginId) => Cluster.ScalarAsync<long>("SELECT count(*) FROM plugins WHERE id = $1", pluginId);

    /// <summary>Everything in the shared plugin folder (bundles and any temporary files).</summary>
    public IReadOnlyList<string> SharedPluginFiles() =>
        Directory.Exists(Path.Combine(FileStore, "plugins"))
            ? [.. Directory.EnumerateFileSystemEntries(Path.Combine(FileStore, "plugins")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
            : [];
}
