using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>Configuration changes through the shared config.json (ReadOnlyConfig false): PUT, file edit + reload, invalid input.</summary>
[Collection(ReplicaCollection.Name)]
public sealed class ConfigReloadTests(ReplicaFixture cluster)
{
    /// <summary>config.json's own spelling (PascalCase), not the snake_case of the REST resources.</summary>
    private Task<ApiResponse> PutConfigAsync(string json) => cluster.Admin.SendAsync(HttpMethod.Put, "/api/v4/config", ApiClient.RawJson(json));

    [Fact]
    public async Task A_change_through_the_API_is_written_to_the_file_and_applied_on_every_node()
    {
        var updated = (await PutConfigAsync("""{"PasswordSettings": {"MinimumLength": 12}}""")).Expect(200).Json;
        try
        {
            Assert.Equal(12, (int?)updated["PasswordSettings"]!["MinimumLength"]);
            Assert.Equal("********", (string?)updated["SqlSettings"]!["DataSource"]);
            // The file holds the real secrets (sent back as placeholders, kept as they were) and the new value.
            var file = JsonNode.Parse(await File.ReadAllTextAsync(cluster.ConfigFile))!;
            Assert.Equal(cluster.DataSource, (string?)file["SqlSettings"]!["DataSource"]);
            Assert.Equal(cluster.ReplicaDataSource, (string?)file["SqlSettings"]!["DataSourceReplicas"]![0]);
            Assert.Equal(12, (int?)file["PasswordSettings"]!["MinimumLength"]);

            // The other node applies it within a second: a 10-character password is now too short there.
            var other = cluster.Admin.On(cluster.Api2.BaseUrl);
            await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(1), async () =>
                (int?)(await other.GetAsync("/api/v4/config")).Expect(200).Json["PasswordSettings"]!["MinimumLength"] == 12);
            var refused = await other.Anonymous().PostAsync("/api/v4/users", new { Username = Unique.Username(), Email = $"{Unique.Suffix()}@example.com", Password = "ten-chars!" });
            Assert.Equal(400, refused.Status);
        }
        finally
        {
            (await PutConfigAsync("""{"passwordsettings": {"minimumlength": 8}}""")).Expect(200);
        }
    }

    [Fact]
    public async Task Editing_the_file_and_reloading_reaches_every_node_and_reports_what_needs_a_restart()
    {
        await cluster.EditConfigAsync(c =>
        {
            c["TeamSettings"] = new JsonObject { ["MaxUsersPerTeam"] = 4321 };
            c["ServiceSettings"] = new JsonObject { ["MaximumPayloadSizeBytes"] = 123_456 };
        });
        try
        {
            var reload = (await cluster.Admin.PostAsync("/api/v4/config/reload", null)).Expect(200).Json;
            Assert.Contains("TeamSettings.MaxUsersPerTeam", reload["applied"]!.AsArray().Select(n => (string?)n));
            Assert.Contains("ServiceSettings.MaximumPayloadSizeBytes", reload["requires_restart"]!.AsArray().Select(n => (string?)n));
            var other = cluster.Admin.On(cluster.Api2.BaseUrl);
            await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(1), async () =>
                (int?)(await other.GetAsync("/api/v4/config")).Expect(200).Json["TeamSettings"]!["MaxUsersPerTeam"] == 4321);
            Assert.Equal(300_000, (int?)(await other.GetAsync("/api/v4/config")).Expect(200).Json["ServiceSettings"]!["MaximumPayloadSizeBytes"]);
        }
        finally
        {
            await cluster.EditConfigAsync(c =>
            {
                c.Remove("TeamSettings");
                c.Remove("ServiceSettings");
            });
            (await cluster.Admin.PostAsync("/api/v4/config/reload", null)).Expect(200);
        }
    }

    [Fact]
    public async Task Invalid_changes_are_refused_naming_the_setting_and_change_nothing()
    {
        var before = await File.ReadAllTextAsync(cluster.ConfigFile);
        var expect = new Expectations();
        await expect.Check("bad time", PutConfigAsync("""{"DataRetentionSettings": {"DeletionJobStartTime": "24:30"}}"""), 400);
        await expect.Check("unknown section", PutConfigAsync("""{"NoSuchSettings": {"A": 1}}"""), 400);
        await expect.Check("unknown setting", PutConfigAsync("""{"TeamSettings": {"NoSuchSetting": 1}}"""), 400);
        await expect.Check("wrong type", PutConfigAsync("""{"TeamSettings": {"MaxUsersPerTeam": "many"}}"""), 400);
        await expect.Check("not an object", cluster.Admin.SendAsync(HttpMethod.Put, "/api/v4/config", ApiClient.RawJson("[1]")), 400);
        expect.Verify();
        var named = (await PutConfigAsync("""{"MessageExportSettings": {"ExportFormat": "pdf"}}""")).Expect(400).Json;
        Assert.StartsWith("MessageExportSettings.ExportFormat:", (string?)named["message"]);
        Assert.Equal(before, await File.ReadAllTextAsync(cluster.ConfigFile));

        // A broken file is refused by reload and the nodes keep what they run with.
        await cluster.EditConfigAsync(c => c["SqlSettings"]!["MaxOpenConns"] = 0);
        try
        {
            var refused = (await cluster.Admin.PostAsync("/api/v4/config/reload", null)).Expect(400).Json;
            Assert.Contains("SqlSettings.MaxOpenConns", (string?)refused["message"]);
        }
        finally
        {
            await File.WriteAllTextAsync(cluster.ConfigFile, before);
        }
        (await cluster.Admin.GetAsync("/api/v4/users/me")).Expect(200);
    }
}
