using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// POST /api/v4/plugins and the plugin management endpoints as an API: Mattermost's shapes, admin-only access, and
/// every kind of bad bundle refused with a clear 4xx AppError that leaves nothing behind (no file in the shared
/// store, no temporary file, no row, nothing in any node's plugin folder).
/// </summary>
[Collection(PluginsCollection.Name)]
public sealed class PluginUploadTests(PluginsFixture plugins)
{
    [Fact]
    public async Task An_upload_answers_201_with_the_manifest_stores_the_bundle_and_lists_the_plugin_disabled()
    {
        var id = NewId();
        var bundle = PluginBundle.For(id, "1.4.0", name: "Demo").ToTarGz();
        var created = (await PluginsFixture.UploadAsync(plugins.Admin, bundle)).Expect(201);
        Assert.Equal(id, (string)created.Json["id"]!);
        Assert.Equal("Demo", (string)created.Json["name"]!);
        Assert.Equal("1.4.0", (string)created.Json["version"]!);
        Assert.Equal(bundle, await File.ReadAllBytesAsync(Path.Combine(plugins.FileStore, "plugins", $"{id}.tar.gz")));
        Assert.DoesNotContain(plugins.SharedPluginFiles(), f => f.StartsWith('~'));

        // Listed by any node, among the inactive ones until enabled.
        var listed = (await plugins.Admin.On(plugins.Api2.BaseUrl).GetAsync("/api/v4/plugins")).Expect(200).Json;
        Assert.Equal(["active", "inactive"], listed.AsObject().Select(p => p.Key));
        Assert.Contains(Ids(listed["inactive"]), x => x == id);
        Assert.DoesNotContain(Ids(listed["active"]), x => x == id);

        Assert.Equal("OK", (string)(await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(200).Json["status"]!);
        Assert.Contains(Ids((await plugins.Admin.GetAsync("/api/v4/plugins")).Expect(200).Json["active"]), x => x == id);
        (await plugins.Admin.On(plugins.Api2.BaseUrl).PostAsync($"/api/v4/plugins/{id}/disable", null)).Expect(200);
        Assert.Contains(Ids((await plugins.Admin.GetAsync("/api/v4/plugins")).Expect(200).Json["inactive"]), x => x == id);

        (await plugins.Admin.DeleteAsync($"/api/v4/plugins/{id}")).Expect(200);
        await AssertNothingLeftAsync(id);
        Assert.Equal("app.plugin.not_installed.app_error", (string)(await plugins.Admin.DeleteAsync($"/api/v4/plugins/{id}")).Expect(404).Json["id"]!);
    }

    [Fact]
    public async Task The_same_id_again_needs_force_and_a_forced_reinstall_replaces_the_bundle_and_starts_disabled()
    {
        var id = NewId();
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(id, "1.0.0").ToTarGz())).Expect(201);
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(200);

        var again = (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(id, "2.0.0").ToTarGz())).Expect(400);
        Assert.Equal("app.plugin.install_id.app_error", (string)again.Json["id"]!);
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(id, "2.0.0").ToTarGz(), force: false)).Expect(400);
        Assert.Contains(Ids((await plugins.Admin.GetAsync("/api/v4/plugins")).Json["active"]), x => x == id);

        var v2 = PluginBundle.For(id, "2.0.0").ToTarGz();
        Assert.Equal("2.0.0", (string)(await PluginsFixture.UploadAsync(plugins.Admin.On(plugins.Api2.BaseUrl), v2, force: true)).Expect(201).Json["version"]!);
        var listed = (await plugins.Admin.GetAsync("/api/v4/plugins")).Json;
        var entry = listed["inactive"]!.AsArray().Single(p => (string)p!["id"]! == id)!;
        Assert.Equal("2.0.0", (string)entry["version"]!);
        Assert.Equal(v2, await File.ReadAllBytesAsync(Path.Combine(plugins.FileStore, "plugins", $"{id}.tar.gz")));
        Assert.Equal([$"{id}.tar.gz"], plugins.SharedPluginFiles().Where(f => f.Contains(id) || f.StartsWith('~')));
        (await plugins.Admin.DeleteAsync($"/api/v4/plugins/{id}")).Expect(200);
    }

    [Fact]
    public async Task Concurrent_reinstalls_through_both_nodes_leave_the_bundle_and_its_row_in_agreement()
    {
        var id = NewId();
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(id, "1.0.0").ToTarGz())).Expect(201);
        var uploads = Enumerable.Range(1, 6).Select(i => PluginsFixture.UploadAsync(
            plugins.Admin.On(i % 2 == 0 ? plugins.Api1.BaseUrl : plugins.Api2.BaseUrl), PluginBundle.For(id, $"1.0.{i}").File("n", $"{i}").ToTarGz(), force: true));
        Assert.All(await Task.WhenAll(uploads), r => r.Expect(201));
        await using var command = plugins.Database.CreateCommand("SELECT bundle_hash, manifest->>'version' FROM plugins WHERE id = $1");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var file = await File.ReadAllBytesAsync(Path.Combine(plugins.FileStore, "plugins", $"{id}.tar.gz"));
        Assert.Equal(reader.GetString(0), Convert.ToHexStringLower(SHA256.HashData(file)));
        Assert.DoesNotContain(plugins.SharedPluginFiles(), f => f.StartsWith('~'));
        (await plugins.Admin.DeleteAsync($"/api/v4/plugins/{id}")).Expect(200);
    }

    public static TheoryData<string, string, int, string> BadBundles() => new()
    {
        { "no manifest", "no-manifest", 400, "app.plugin.manifest.app_error" },
        { "invalid manifest JSON", "invalid-json", 400, "app.plugin.manifest.app_error" },
        { "manifest without a name", "no-name", 400, "app.plugin.manifest.app_error" },
        { "bad id", "bad-id", 400, "app.plugin.invalid_id.app_error" },
        { "bad version", "bad-version", 400, "app.plugin.invalid_version.app_error" },
        { "path traversal", "traversal", 400, "app.plugin.extract.app_error" },
        { "absolute path", "absolute", 400, "app.plugin.extract.app_error" },
        { "symbolic link out of the bundle", "symlink-out", 400, "app.plugin.extract.app_error" },
        { "hard link out of the bundle", "hardlink-out", 400, "app.plugin.extract.app_error" },
        { "a device", "device", 400, "app.plugin.extract.app_error" },
        { "missing server executable", "no-executable", 400, "app.plugin.manifest.app_error" },
        { "unmet min_server_version", "min-server-version", 400, "app.plugin.server_version.app_error" },
        { "not gzip", "not-gzip", 400, "app.plugin.extract.app_error" },
        { "gzip but not tar", "not-tar", 400, "app.plugin.extract.app_error" },
        { "too large compressed", "too-large", 413, "api.context.request_body_too_large.app_error" },
        { "too large unpacked (a zip bomb)", "zip-bomb", 413, "app.plugin.extract.too_large.app_error" },
    };

    [Theory]
    [MemberData(nameof(BadBundles))]
    public async Task A_bad_bundle_is_refused_with_a_clear_error_and_leaves_nothing_behind(string what, string kind, int status, string errorId)
    {
        var id = NewId();
        var before = plugins.SharedPluginFiles();
        var refused = (await PluginsFixture.UploadAsync(plugins.Admin, Bad(kind, id))).Expect(status);
        Assert.Equal(errorId, (string)refused.Json["id"]!);
        Assert.True(((string)refused.Json["message"]!).Length > 20, $"{what}: {refused.Body}");
        await AssertNothingLeftAsync(id);
        Assert.Equal(before.Where(f => !f.StartsWith('~')), plugins.SharedPluginFiles());
    }

    [Fact]
    public async Task Only_system_admins_manage_plugins_and_the_form_needs_the_plugin_field()
    {
        var id = NewId();
        var user = await plugins.NewUserAsync(plugins.Api2, "plain");
        var bundle = PluginBundle.For(id).ToTarGz();
        Assert.Equal("api.context.permissions.app_error", (string)(await PluginsFixture.UploadAsync(user, bundle)).Expect(403).Json["id"]!);
        (await user.GetAsync("/api/v4/plugins")).Expect(403);
        (await user.GetAsync("/api/v4/plugins/statuses")).Expect(403);
        (await user.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(403);
        (await user.PostAsync($"/api/v4/plugins/{id}/disable", null)).Expect(403);
        (await user.DeleteAsync($"/api/v4/plugins/{id}")).Expect(403);
        (await new ApiClient(plugins.Http, plugins.Api1.BaseUrl).GetAsync("/api/v4/plugins")).Expect(401);
        await AssertNothingLeftAsync(id);

        Assert.Equal("api.plugin.upload.no_file.app_error", (string)(await PluginsFixture.UploadAsync(plugins.Admin, bundle, field: "bundle")).Expect(400).Json["id"]!);
        (await plugins.Admin.PostAsync("/api/v4/plugins", new { plugin = "not a form" })).Expect(400);
        await AssertNothingLeftAsync(id);

        Assert.Equal("api.context.invalid_url_param.app_error", (string)(await plugins.Admin.PostAsync("/api/v4/plugins/a%20b/enable", null)).Expect(400).Json["id"]!);
        Assert.Equal("app.plugin.not_installed.app_error", (string)(await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(404).Json["id"]!);
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/disable", null)).Expect(404);
    }

    internal static string NewId() => $"com.test.{Unique.Suffix()}";

    private static IEnumerable<string> Ids(JsonNode? list) => list!.AsArray().Select(p => (string)p!["id"]!);

    private static byte[] Bad(string kind, string id) => kind switch
    {
        "no-manifest" => new PluginBundle().File("README.md", "no plugin.json here").ToTarGz(),
        "invalid-json" => new PluginBundle().File("plugin.json", "{\"id\": \"" + id + "\", \"name\": ").ToTarGz(),
        "no-name" => new PluginBundle().File("plugin.json", "{\"id\": \"" + id + "\", \"version\": \"1.0.0\"}").ToTarGz(),
        "bad-id" => PluginBundle.For(id + "/../x").ToTarGz(),
        "bad-version" => PluginBundle.For(id, "1.0").ToTarGz(),
        "traversal" => PluginBundle.For(id).File("../../escaped.txt", "x").ToTarGz(),
        "absolute" => PluginBundle.For(id).File("/tmp/escaped.txt", "x").ToTarGz(),
        "symlink-out" => PluginBundle.For(id).SymbolicLink("etc", "../../../../etc").ToTarGz(),
        "hardlink-out" => PluginBundle.For(id).HardLink("passwd", "/etc/passwd").ToTarGz(),
        "device" => PluginBundle.For(id).Entry(System.Formats.Tar.TarEntryType.BlockDevice, "disk").ToTarGz(),
        "no-executable" => PluginBundle.For(id, server: new { executable = "server/Plugin.dll" }).ToTarGz(),
        "min-server-version" => PluginBundle.For(id, minServerVersion: "99.0.0").ToTarGz(),
        "not-gzip" => "this is not a gzip file"u8.ToArray(),
        "not-tar" => Gzip(RandomNumberGenerator.GetBytes(4096)),
        // Random bytes do not compress: the upload itself is over FileSettings.MaxFileSize.
        "too-large" => PluginBundle.For(id).File("random.bin", RandomNumberGenerator.GetBytes((int)PluginsFixture.MaxFileSize + 100_000)).ToTarGz(),
        "zip-bomb" => PluginBundle.For(id).Zeros("zeros.bin", PluginsFixture.MaxUnpackedBytes + 1).ToTarGz(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    /// <summary>No row, no bundle, no temporary upload, nothing unpacked on either node.</summary>
    private async Task AssertNothingLeftAsync(string id)
    {
        Assert.Equal(0, await plugins.PluginRowsAsync(id));
        Assert.DoesNotContain(plugins.SharedPluginFiles(), f => f.Contains(id, StringComparison.Ordinal) || f.StartsWith("~upload", StringComparison.Ordinal));
        // A removed plugin's local copies go as each node notices (a refused one never had any).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var node in new[] { plugins.Api1, plugins.Api2 })
        {
            var local = Path.Combine(plugins.LocalPlugins(node.Name), id);
            while (Directory.Exists(local))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{node.Name} still has {id} unpacked");
                await Task.Delay(100);
            }
        }
        var listed = (await plugins.Admin.GetAsync("/api/v4/plugins")).Expect(200).Json;
        Assert.DoesNotContain(Ids(listed["active"]).Concat(Ids(listed["inactive"])), x => x == id);
    }
}
