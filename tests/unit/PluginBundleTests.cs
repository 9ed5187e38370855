using System.Formats.Tar;
using Chat.Plugins.Bundles;
using Chat.Testing;

namespace Chat.UnitTests;

/// <summary>Bundle validation and extraction on files in a temporary folder: what is accepted, and every refusal.</summary>
public sealed class PluginBundleTests : IDisposable
{
    private static readonly BundleLimits Limits = new(MaxUnpackedBytes: 4 * 1024 * 1024, MaxEntries: 100);
    private readonly string _folder = Directory.CreateTempSubdirectory("bundle-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_bundle_with_the_manifest_at_its_root_is_read_and_unpacked()
    {
        var bundle = PluginBundle.For("com.example.demo", "1.2.3", server: new { executable = "server/Demo.dll" })
            .Directory("server")
            .File("server/Demo.dll", "binary", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.SetUser)
            .SymbolicLink("current", "server/Demo.dll")
            .HardLink("server/Copy.dll", "server/Demo.dll");
        var contents = await BundleReader.InspectAsync(Write(bundle), Limits, default);
        Assert.Equal("com.example.demo", contents.Manifest.Id);
        Assert.Equal("1.2.3", contents.Manifest.Version);
        Assert.Equal("server/Demo.dll", contents.Manifest.ServerExecutable);
        Assert.Equal("", contents.Root);

        var target = Path.Combine(_folder, "out");
        await BundleReader.ExtractAsync(Write(bundle), target, Limits, default);
        Assert.Equal("binary", File.ReadAllText(Path.Combine(target, "server/Demo.dll")));
        Assert.Equal("binary", File.ReadAllText(Path.Combine(target, "server/Copy.dll")));
        Assert.Equal("server/Demo.dll", new FileInfo(Path.Combine(target, "current")).LinkTarget);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.Combine(target, "server/Demo.dll"));
            Assert.True(mode.HasFlag(UnixFileMode.UserExecute));
            Assert.False(mode.HasFlag(UnixFileMode.SetUser));
        }
    }

    [Fact]
    public async Task The_manifest_may_sit_in_a_single_top_level_folder_and_a_dot_slash_prefix_is_fine()
    {
        var nested = await BundleReader.InspectAsync(Write(PluginBundle.For("nested.plugin", folder: "nested-1.0.0").File("nested-1.0.0/README", "x")), Limits, default);
        Assert.Equal("nested-1.0.0", nested.Root);
        Assert.Equal("nested.plugin", nested.Manifest.Id);

        var dotted = await BundleReader.InspectAsync(Write(new PluginBundle().Directory("./").File("./plugin.json", Manifest("dotted"))), Limits, default);
        Assert.Equal("", dotted.Root);
        // Two top-level entries: the root is the archive's, where there is no manifest.
        var two = await Refused(PluginBundle.For("a.plugin", folder: "one").File("two/x", "y"));
        Assert.Equal("app.plugin.manifest.app_error", two.ErrorId);
    }

    [Fact]
    public async Task Ids_are_lower_cased_and_checked_against_Mattermosts_rule()
    {
        Assert.Equal("com.example.upper", (await BundleReader.InspectAsync(Write(PluginBundle.For("Com.Example.UPPER")), Limits, default)).Manifest.Id);
        foreach (var id in new[] { "ab", "has space", "slash/id", "semi;colon", "new\nline", new string('a', 191), "" })
        {
            Assert.Equal("app.plugin.invalid_id.app_error", (await Refused(PluginBundle.For(id))).ErrorId);
        }
        Assert.True(BundleManifest.IsValidId(new string('a', 190)));
        Assert.False(BundleManifest.IsValidId("abc\n"));
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("")]
    [InlineData("1.0.0\n")]
    public async Task Versions_must_be_strict_semantic_versions(string version)
    {
        Assert.Equal("app.plugin.invalid_version.app_error", (await Refused(PluginBundle.For("ver.plugin", version))).ErrorId);
    }

    [Fact]
    public void Semantic_versions_compare_by_precedence()
    {
        string[] ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"];
        for (var i = 1; i < ordered.Length; i++)
        {
            Assert.True(SemanticVersion.TryParse(ordered[i - 1], out var lower));
            Assert.True(SemanticVersion.TryParse(ordered[i], out var higher));
            Assert.True(lower < higher, $"{ordered[i - 1]} < {ordered[i]}");
        }
        Assert.True(SemanticVersion.TryParse("1.0.0+build.5", out var build) && SemanticVersion.TryParse("1.0.0", out var plain) && build.CompareTo(plain) == 0);
    }

    [Fact]
    public void The_minimum_server_version_is_compared_with_the_servers()
    {
        var manifest = BundleManifest.FromJson("""{"id":"min.plugin","name":"n","version":"1.0.0","min_server_version":"0.2.0"}""");
        Assert.True(manifest.IsSatisfiedBy("0.2.0"));
        Assert.True(manifest.IsSatisfiedBy("1.0.0"));
        Assert.False(manifest.IsSatisfiedBy("0.1.9"));
        Assert.False(manifest.IsSatisfiedBy("0.2.0-rc.1"));
    }

    [Theory]
    [InlineData("""not json""")]
    [InlineData("""[1, 2]""")]
    [InlineData("""{"id": 5, "name": "x", "version": "1.0.0"}""")]
    [InlineData("""{"id": "no.name", "version": "1.0.0"}""")]
    [InlineData("""{"id": "bad.url", "name": "x", "version": "1.0.0", "homepage_url": "javascript:alert(1)"}""")]
    [InlineData("""{"id": "bad.server", "name": "x", "version": "1.0.0", "server": {}}""")]
    [InlineData("""{"id": "bad.server", "name": "x", "version": "1.0.0", "server": {"executable": "../outside.dll"}}""")]
    [InlineData("""{"id": "bad.server", "name": "x", "version": "1.0.0", "server": "x"}""")]
    [InlineData("""{"id": "bad.schema", "name": "x", "version": "1.0.0", "settings_schema": {"settings": [{"key": "k", "type": "colour"}]}}""")]
    [InlineData("""{"id": "bad.schema", "name": "x", "version": "1.0.0", "settings_schema": {"settings": [{"key": "k", "type": "bool", "options": []}]}}""")]
    public void Invalid_manifests_are_refused_with_a_reason(string json)
    {
        var refused = Assert.Throws<BundleException>(() => BundleManifest.FromJson(json));
        Assert.StartsWith("app.plugin.", refused.ErrorId);
        Assert.Equal(400, refused.StatusCode);
    }

    [Fact]
    public void The_manifest_keeps_Mattermosts_fields_only()
    {
        var manifest = BundleManifest.FromJson("""
            {"id": "full.plugin", "name": "Full", "description": "d", "homepage_url": "https://example.com", "version": "1.0.0",
             "min_server_version": "0.1.0", "server": {"executable": "./server/p.dll", "extra": 1}, "webapp": {"bundle_path": "webapp/main.js"},
             "settings_schema": {"header": "h", "settings": [{"key": "k", "display_name": "K", "type": "dropdown", "options": [{"display_name": "A", "value": "a"}]}]},
             "props": {"x": 1}, "unknown": true}
            """);
        Assert.Equal(["id", "name", "description", "homepage_url", "version", "min_server_version", "server", "webapp", "settings_schema", "props"],
            manifest.Json.Select(p => p.Key));
        Assert.Equal("server/p.dll", manifest.ServerExecutable);
        Assert.Equal("""{"executable":"server/p.dll"}""", manifest.Json["server"]!.ToJsonString());
    }

    [Fact]
    public async Task Unsafe_archives_are_refused()
    {
        Assert.Contains("path traversal", (await Refused(PluginBundle.For("evil.plugin").File("../evil", "x"))).Message);
        Assert.Contains("path traversal", (await Refused(PluginBundle.For("evil.plugin").File("a/../../evil", "x"))).Message);
        Assert.Contains("absolute path", (await Refused(PluginBundle.For("evil.plugin").File("/tmp/evil", "x"))).Message);
        Assert.Contains("points outside", (await Refused(PluginBundle.For("evil.plugin").SymbolicLink("escape", "../../etc"))).Message);
        Assert.Contains("points outside", (await Refused(PluginBundle.For("evil.plugin").SymbolicLink("escape", "/etc/passwd"))).Message);
        // Each link stays inside on its own; followed one through the other, the second leaves the root.
        Assert.Contains("points outside", (await Refused(PluginBundle.For("evil.plugin").SymbolicLink("here", ".").SymbolicLink("up", "here/.."))).Message);
        Assert.Contains("points outside", (await Refused(PluginBundle.For("evil.plugin").SymbolicLink("a", "b").SymbolicLink("b", "a"))).Message);
        Assert.Contains("goes through symbolic link", (await Refused(PluginBundle.For("evil.plugin").SymbolicLink("dir", ".").File("dir/plugin.json", "{}"))).Message);
        Assert.Contains("hard link", (await Refused(PluginBundle.For("evil.plugin").HardLink("passwd", "/etc/passwd"))).Message);
        Assert.Contains("appears twice", (await Refused(PluginBundle.For("evil.plugin").File("plugin.json", "{}"))).Message);
        Assert.Contains("CharacterDevice", (await Refused(PluginBundle.For("evil.plugin").Entry(TarEntryType.CharacterDevice, "dev"))).Message);
        Assert.Contains("Fifo", (await Refused(PluginBundle.For("evil.plugin").Entry(TarEntryType.Fifo, "fifo"))).Message);
        Assert.Contains("backslash", (await Refused(PluginBundle.For("evil.plugin").File("..\\evil", "x"))).Message);
    }

    [Fact]
    public async Task An_invalid_archive_leaves_the_caller_a_folder_to_remove_and_nothing_outside_it()
    {
        var target = Path.Combine(_folder, "out");
        var outside = Path.Combine(_folder, "evil");
        await Assert.ThrowsAsync<BundleException>(() => BundleReader.ExtractAsync(
            Write(PluginBundle.For("evil.plugin").File("../evil", "x")), target, Limits, default));
        Assert.False(File.Exists(outside));
    }

    [Fact]
    public async Task Size_and_entry_limits_hold_while_decompressing()
    {
        var bomb = PluginBundle.For("bomb.plugin").Zeros("zeros", Limits.MaxUnpackedBytes + 1);
        Assert.True(bomb.ToTarGz().Length < 64 * 1024);
        var refused = await Refused(bomb);
        Assert.Equal(413, refused.StatusCode);
        // Many small files that only add up over the limit.
        var many = PluginBundle.For("many.plugin");
        for (var i = 0; i < 5; i++)
        {
            many.Zeros($"part{i}", Limits.MaxUnpackedBytes / 4);
        }
        Assert.Equal(413, (await Refused(many)).StatusCode);
        // One large file and many hard links to it: the archive holds the data once, extraction copies it for each link.
        var linked = PluginBundle.For("linked.plugin").Zeros("big", Limits.MaxUnpackedBytes / 3);
        for (var i = 0; i < 10; i++)
        {
            linked.HardLink($"copy{i}", "big");
        }
        Assert.True(linked.ToTarGz().Length < 64 * 1024);
        var refusedLinks = await Refused(linked);
        Assert.Equal(413, refusedLinks.StatusCode);
        Assert.Contains("hard links", refusedLinks.Message);
        // Extraction stops at the link that crosses the limit, not after copying them all.
        var target = Path.Combine(_folder, "linked");
        await Assert.ThrowsAsync<BundleException>(() => BundleReader.ExtractAsync(Write(linked), target, Limits, default));
        Assert.True(Directory.EnumerateFiles(target).Count() <= 3);
        var entries = PluginBundle.For("entries.plugin");
        for (var i = 0; i < Limits.MaxEntries; i++)
        {
            entries.File($"f{i}", "");
        }
        Assert.Contains("entries", (await Refused(entries)).Message);
    }

    [Fact]
    public async Task Not_gzip_not_tar_and_truncated_archives_are_refused()
    {
        var path = Path.Combine(_folder, "plain.tar.gz");
        await File.WriteAllTextAsync(path, "just text, not an archive");
        Assert.Contains("not a gzip", (await Assert.ThrowsAsync<BundleException>(() => BundleReader.InspectAsync(path, Limits, default))).Message);

        using (var output = File.Create(path))
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
            gzip.Write(new byte[2000]);
        }
        Assert.Equal("app.plugin.extract.app_error", (await Assert.ThrowsAsync<BundleException>(() => BundleReader.InspectAsync(path, Limits, default))).ErrorId);

        var whole = PluginBundle.For("cut.plugin").File("data", new byte[100_000].Select((_, i) => (byte)(i * 7919 % 251)).ToArray()).ToTarGz();
        await File.WriteAllBytesAsync(path, whole[..(whole.Length / 2)]);
        Assert.Equal("app.plugin.extract.app_error", (await Assert.ThrowsAsync<BundleException>(() => BundleReader.InspectAsync(path, Limits, default))).ErrorId);

        await File.WriteAllBytesAsync(path, new PluginBundle().File("README", "no manifest").ToTarGz());
        Assert.Equal("app.plugin.manifest.app_error", (await Assert.ThrowsAsync<BundleException>(() => BundleReader.InspectAsync(path, Limits, default))).ErrorId);
    }

    [Fact]
    public async Task A_declared_server_executable_must_be_a_file_of_the_bundle()
    {
        Assert.Contains("server.executable", (await Refused(PluginBundle.For("exe.plugin", server: new { executable = "server/missing.dll" }))).Message);
        Assert.Contains("server.executable", (await Refused(PluginBundle.For("exe.plugin", server: new { executable = "server" }).Directory("server"))).Message);
        var nested = await BundleReader.InspectAsync(Write(PluginBundle.For("exe.plugin", folder: "top", server: new { executable = "bin/p.dll" }).File("top/bin/p.dll", "x")), Limits, default);
        Assert.Equal("bin/p.dll", nested.Manifest.ServerExecutable);
    }

    private static string Manifest(string id) => $$"""{"id":"{{id}}","name":"{{id}}","version":"1.0.0"}""";

    private string Write(PluginBundle bundle) => bundle.WriteTo(Path.Combine(_folder, $"{Guid.NewGuid():N}.tar.gz"));

    private async Task<BundleException> Refused(PluginBundle bundle) =>
        await Assert.ThrowsAsync<BundleException>(() => BundleReader.InspectAsync(Write(bundle), Limits, default));
}
