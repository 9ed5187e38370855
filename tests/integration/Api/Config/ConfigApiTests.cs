namespace Chat.IntegrationTests;

/// <summary>GET/PUT /api/v4/config, reload and the client configuration on nodes configured by environment (ReadOnlyConfig by default).</summary>
[Collection(ClusterCollection.Name)]
public sealed class ConfigApiTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Admins_read_the_configuration_with_secrets_redacted()
    {
        var config = (await cluster.Admin.GetAsync("/api/v4/config")).Expect(200);
        var json = config.Json;
        Assert.Equal("********", (string?)json["SqlSettings"]!["DataSource"]);
        Assert.DoesNotContain(cluster.DataSource, config.Body);
        Assert.Equal(20, (int?)json["SqlSettings"]!["MaxOpenConns"]);
        Assert.True((bool?)json["ClusterSettings"]!["ReadOnlyConfig"]);
        foreach (var section in new[] { "JobSettings", "PluginSettings", "DataRetentionSettings", "MessageExportSettings" })
        {
            Assert.NotNull(json[section]);
        }
        Assert.Equal("02:00", (string?)json["DataRetentionSettings"]!["DeletionJobStartTime"]);
    }

    [Fact]
    public async Task Only_system_admins_may_read_change_or_reload_it()
    {
        var user = await cluster.NewUserAsync(cluster.Api2);
        var anonymous = cluster.Anonymous(cluster.Api1);
        var expect = new Expectations();
        await expect.Check("user GET", user.GetAsync("/api/v4/config"), 403);
        await expect.Check("user PUT", user.PutAsync("/api/v4/config", new { TeamSettings = new { MaxUsersPerTeam = 5 } }), 403);
        await expect.Check("user reload", user.PostAsync("/api/v4/config/reload", null), 403);
        await expect.Check("user recycle", user.PostAsync("/api/v4/database/recycle", null), 403);
        await expect.Check("user routing", user.GetAsync("/api/v4/database/routing"), 403);
        await expect.Check("anonymous GET", anonymous.GetAsync("/api/v4/config"), 401);
        await expect.Check("anonymous reload", anonymous.PostAsync("/api/v4/config/reload", null), 401);
        await expect.Check("anonymous recycle", anonymous.PostAsync("/api/v4/database/recycle", null), 401);
        expect.Verify();
    }

    [Fact]
    public async Task Changes_through_the_API_are_refused_while_the_configuration_is_read_only()
    {
        var refused = (await cluster.Admin.SendAsync(HttpMethod.Put, "/api/v4/config", ApiClient.RawJson("""{"TeamSettings": {"MaxUsersPerTeam": 5}}"""))).Expect(403).Json;
        Assert.Equal("api.config.update_config.read_only.app_error", (string?)refused["id"]);
        Assert.Contains("ReadOnlyConfig", (string?)refused["message"]);
        // Reloading stays possible: it only rereads what the operator changed.
        var reload = (await cluster.Admin.PostAsync("/api/v4/config/reload", null)).Expect(200).Json;
        Assert.Equal("OK", (string?)reload["status"]);
        Assert.Empty(reload["applied"]!.AsArray());
        (await cluster.Admin.PostAsync("/api/v4/database/recycle", null)).Expect(200);
        // Recycled pools serve the next request.
        (await cluster.Admin.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users?page=0&per_page=5")).Expect(200);
    }

    [Fact]
    public async Task Clients_read_the_public_subset_before_login()
    {
        var anonymous = cluster.Anonymous(cluster.Api1);
        var client = (await anonymous.GetAsync("/api/v4/config/client?format=old")).Expect(200).Json;
        Assert.Equal("true", (string?)client["EnableOpenServer"]);
        Assert.Equal("16383", (string?)client["MaxPostSize"]);
        Assert.Null(client["DataSource"]);
        Assert.Equal("api.config.client.old_format.app_error", (string?)(await anonymous.GetAsync("/api/v4/config/client")).Expect(400).Json["id"]);
    }

    [Fact]
    public async Task An_invalid_new_setting_stops_the_node_at_start_up_naming_it()
    {
        await using var node = cluster.NewNode("api", "api-bad-config", new Dictionary<string, string>
        {
            ["MM_DATARETENTIONSETTINGS_DELETIONJOBSTARTTIME"] = "25:61",
        });
        node.Launch();
        Assert.Equal(78, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("DataRetentionSettings.DeletionJobStartTime", node.Output);
    }
}
