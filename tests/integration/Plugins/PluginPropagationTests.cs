using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// A plugin change made through any api node reaches every api node: the bundle is unpacked into each node's own
/// plugin folder, enabled plugins run everywhere (state 2 in every node's status, whichever node answers),
/// disabled ones stop, removed ones disappear, a reinstall starts disabled, and a node that was down meanwhile
/// catches up when it starts.
/// </summary>
[Collection(PluginsCollection.Name)]
public sealed class PluginPropagationTests(PluginsFixture plugins)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Installed_through_one_node_enabled_through_the_other_it_runs_on_every_node()
    {
        var id = PluginUploadTests.NewId();
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(id, "1.0.0", folder: "bundle", name: "Everywhere").File("bundle/assets/readme.txt", "hello").ToTarGz())).Expect(201);
        var installed = await WaitForStatusesAsync(plugins.Admin, id, s => s.State == 0);
        foreach (var node in new[] { plugins.Api1, plugins.Api2 })
        {
            var local = Path.Combine(plugins.LocalPlugins(node.Name), id);
            Assert.True(File.Exists(Path.Combine(local, "plugin.json")), $"{node.Name} has no {local}/plugin.json");
            Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(local, "assets", "readme.txt")));
        }
        var entry = installed.First().Json;
        Assert.Equal(["plugin_id", "cluster_id", "plugin_path", "state", "error", "name", "description", "version"], entry.AsObject().Select(p => p.Key));
        Assert.Equal("Everywhere", (string)entry["name"]!);
        Assert.Equal("1.0.0", (string)entry["version"]!);
        Assert.Equal("A plugin built by the tests.", (string)entry["description"]!);
        Assert.All(installed, s => Assert.Matches("^[0-9a-v]{26}$", s.ClusterId));
        Assert.All(installed, s => Assert.EndsWith(Path.Combine("plugins", id), (string)s.Json["plugin_path"]!));

        (await plugins.Admin.On(plugins.Api2.BaseUrl).PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(200);
        await WaitForStatusesAsync(plugins.Admin, id, s => s.State == 2);
        // Any node answers for all of them.
        await WaitForStatusesAsync(plugins.Admin.On(plugins.Api2.BaseUrl), id, s => s.State == 2);

        (await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/disable", null)).Expect(200);
        await WaitForStatusesAsync(plugins.Admin.On(plugins.Api2.BaseUrl), id, s => s.State == 0);

        (await plugins.Admin.On(plugins.Api2.BaseUrl).DeleteAsync($"/api/v4/plugins/{id}")).Expect(200);
        await WithinAsync(async () => !(await StatusesAsync(plugins.Admin)).Any(s => s.PluginId == id)
            && !Directory.Exists(Path.Combine(plugins.LocalPlugins("api-1"), id))
            && !Directory.Exists(Path.Combine(plugins.LocalPlugins("api-2"), id)));
        Assert.DoesNotContain(plugins.SharedPluginFiles(), f => f.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_forced_reinstall_of_an_enabled_plugin_replaces_it_on_every_node_and_leaves_it_disabled()
    {
        var id = PluginUploadTests.NewId();
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(id, "1.0.0").File("v1.txt", "1").ToTarGz())).Expect(201);
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(200);
        await WaitForStatusesAsync(plugins.Admin, id, s => s.State == 2);

        (await PluginsFixture.UploadAsync(plugins.Admin.On(plugins.Api2.BaseUrl), PluginBundle.For(id, "2.0.0").File("v2.txt", "2").ToTarGz(), force: true)).Expect(201);
        await WaitForStatusesAsync(plugins.Admin, id, s => s.State == 0 && (string)s.Json["version"]! == "2.0.0");
        foreach (var node in new[] { "api-1", "api-2" })
        {
            var local = Path.Combine(plugins.LocalPlugins(node), id);
            await WithinAsync(() => Task.FromResult(File.Exists(Path.Combine(local, "v2.txt")) && !File.Exists(Path.Combine(local, "v1.txt"))));
        }
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(200);
        await WaitForStatusesAsync(plugins.Admin, id, s => s.State == 2 && (string)s.Json["version"]! == "2.0.0");
        (await plugins.Admin.DeleteAsync($"/api/v4/plugins/{id}")).Expect(200);
    }

    [Fact]
    public async Task A_node_that_starts_later_or_was_down_during_changes_catches_up()
    {
        var kept = PluginUploadTests.NewId();
        var removed = PluginUploadTests.NewId();
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(kept).ToTarGz())).Expect(201);
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(removed).ToTarGz())).Expect(201);
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{kept}/enable", null)).Expect(200);
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{removed}/enable", null)).Expect(200);

        await using var late = plugins.NewNode("api", "api-late");
        await late.StartAsync();
        var lateClient = plugins.Admin.On(late.BaseUrl);
        // Three nodes now, the late one included, whichever answers.
        var statuses = await WaitForStatusesAsync(lateClient, kept, s => s.State == 2);
        Assert.Equal(3, statuses.Count);
        Assert.True(File.Exists(Path.Combine(plugins.LocalPlugins("api-late"), kept, "plugin.json")));

        // Down while one plugin is removed and the other disabled: it notices both when it is back.
        Assert.Equal(0, await late.StopAsync());
        (await plugins.Admin.DeleteAsync($"/api/v4/plugins/{removed}")).Expect(200);
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{kept}/disable", null)).Expect(200);
        Assert.True(Directory.Exists(Path.Combine(plugins.LocalPlugins("api-late"), removed)));
        await late.StartAsync();
        await WaitForStatusesAsync(lateClient, kept, s => s.State == 0);
        await WithinAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(plugins.LocalPlugins("api-late"), removed))));
        Assert.Equal(0, await late.StopAsync());
        (await plugins.Admin.DeleteAsync($"/api/v4/plugins/{kept}")).Expect(200);
    }

    [Fact]
    public async Task A_node_with_plugins_turned_off_runs_none_and_says_so()
    {
        var id = PluginUploadTests.NewId();
        (await PluginsFixture.UploadAsync(plugins.Admin, PluginBundle.For(id).ToTarGz())).Expect(201);
        (await plugins.Admin.PostAsync($"/api/v4/plugins/{id}/enable", null)).Expect(200);
        await using var off = plugins.NewNode("api", "api-off", new Dictionary<string, string> { ["MM_PLUGINSETTINGS_ENABLE"] = "false" });
        await off.StartAsync();
        var offId = await NodeIdAsync(off);
        var statuses = await WaitForStatusesAsync(plugins.Admin, id, s => s.ClusterId == offId ? s.State == 0 : s.State == 2);
        Assert.Contains("PluginSettings.Enable", (string)statuses.Single(s => s.ClusterId == offId).Json["error"]!);
        // That node answers plugin requests with Mattermost's error id.
        Assert.Equal("app.plugin.disabled.app_error", (string)(await plugins.Admin.On(off.BaseUrl).GetAsync("/api/v4/plugins")).Expect(403).Json["id"]!);
        Assert.Equal("app.plugin.disabled.app_error", (string)(await PluginsFixture.UploadAsync(plugins.Admin.On(off.BaseUrl), PluginBundle.For(PluginUploadTests.NewId()).ToTarGz())).Expect(403).Json["id"]!);
        Assert.Equal(0, await off.StopAsync());
        (await plugins.Admin.DeleteAsync($"/api/v4/plugins/{id}")).Expect(200);
    }

    [Fact]
    public async Task The_trigger_word_bundle_from_the_build_uploaded_through_the_API_runs_on_every_api_node()
    {
        var bundle = Path.Combine(Repository.Root, "services", "plugins", "trigger-word", "bin", Repository.BuildConfiguration, "trigger-word.tar.gz");
        Assert.True(File.Exists(bundle), $"{bundle} is missing: the build makes it (PluginBundle.targets)");
        var created = (await PluginsFixture.UploadAsync(plugins.Admin, await File.ReadAllBytesAsync(bundle), force: true)).Expect(201);
        Assert.Equal("trigger-word", (string)created.Json["id"]!);
        (await plugins.Admin.On(plugins.Api2.BaseUrl).PostAsync("/api/v4/plugins/trigger-word/enable", null)).Expect(200);
        // A real plugin process on each node, started from each node's own unpacked copy.
        var running = await WaitForStatusesAsync(plugins.Admin, "trigger-word", s => s.State == 2);
        Assert.Equal(await LiveApiNodesAsync(plugins.Admin), running.Select(s => s.ClusterId).ToHashSet());
        foreach (var node in new[] { "api-1", "api-2" })
        {
            Assert.True(File.Exists(Path.Combine(plugins.LocalPlugins(node), "trigger-word", "server", "Chat.Plugins.TriggerWord.dll")));
        }
        (await plugins.Admin.DeleteAsync("/api/v4/plugins/trigger-word")).Expect(200);
        await WithinAsync(async () => !(await StatusesAsync(plugins.Admin)).Any(s => s.PluginId == "trigger-word"));
    }

    public sealed record Status(string PluginId, string ClusterId, int State, JsonNode Json);

    public static async Task<IReadOnlyList<Status>> StatusesAsync(ApiClient client) =>
        [.. (await client.GetAsync("/api/v4/plugins/statuses")).Expect(200).Json.AsArray()
            .Select(s => new Status((string)s!["plugin_id"]!, (string)s["cluster_id"]!, (int)s["state"]!, s))];

    /// <summary>The ids of the api nodes the cluster considers alive.</summary>
    public static async Task<HashSet<string>> LiveApiNodesAsync(ApiClient admin) =>
        [.. (await admin.GetAsync("/api/v4/cluster/status")).Expect(200).Json.AsArray()
            .Where(n => (string)n!["service"]! == "api" && (string)n["status"]! != "down").Select(n => (string)n!["id"]!)];

    /// <summary>Waits until every live api node reports <paramref name="pluginId"/> and all its entries satisfy <paramref name="condition"/>.</summary>
    public static async Task<IReadOnlyList<Status>> WaitForStatusesAsync(ApiClient client, string pluginId, Func<Status, bool> condition)
    {
        IReadOnlyList<Status> last = [];
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var nodes = await LiveApiNodesAsync(client);
            last = [.. (await StatusesAsync(client)).Where(s => s.PluginId == pluginId)];
            if (last.Count > 0 && last.Select(s => s.ClusterId).ToHashSet().SetEquals(nodes) && last.All(condition))
            {
                return last;
            }
            Assert.True(clock.Elapsed < Within, $"Statuses of {pluginId} after {clock.Elapsed.TotalSeconds:F0} s (live api nodes {string.Join(", ", nodes)}): {string.Join("; ", last.Select(s => s.Json.ToJsonString()))}");
            await Task.Delay(100);
        }
    }

    private async Task<string> NodeIdAsync(ServiceProcess node) =>
        (string)(await plugins.Admin.GetAsync("/api/v4/cluster/status")).Expect(200).Json.AsArray().Single(n => (string)n!["hostname"]! == node.Name)!["id"]!;

    private static async Task WithinAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Within, $"Not true after {clock.Elapsed.TotalSeconds:F0} s.");
            await Task.Delay(100);
        }
    }
}
