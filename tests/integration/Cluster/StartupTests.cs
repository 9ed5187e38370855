namespace Chat.IntegrationTests;

/// <summary>Nodes starting together on an empty database, racing first sign-ups, restarts, and bad configuration.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StartupTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Three_nodes_started_at_once_on_an_empty_database_migrate_it_exactly_once()
    {
        await using var race = await TestCluster.Create("migrate_race").OnServer(cluster.Postgres).WithApi(3).WithoutAdmin().StartingAllAtOnce().StartAsync();

        // Every set an api node registers, once each, recorded in the tables earlier releases recorded it in.
        foreach (var (library, table) in new[]
        {
            ("store", "schema_migrations"), ("cluster-membership", "cluster_membership_migrations"),
            ("building-blocks", "building_block_migrations"), ("jobs-core", "jobs_migrations"), ("plugin-bundles", "plugin_migrations"),
        })
        {
            var migrations = Directory.GetFiles(Path.Combine(Repository.Root, "services", library, "Migrations"), "*.sql")
                .Select(f => int.Parse(Path.GetFileName(f)[..4], System.Globalization.CultureInfo.InvariantCulture))
                .Order()
                .ToList();
            Assert.Equal(migrations, await race.ColumnAsync<int>($"SELECT version FROM {table} ORDER BY version"));
        }

        // Every node serves, on the same schema.
        foreach (var node in race.Api)
        {
            (await race.Anonymous(node).GetAsync("/api/v4/system/ping")).Expect(200);
        }
    }

    [Fact]
    public async Task Concurrent_first_sign_ups_on_two_nodes_make_exactly_one_admin()
    {
        await using var fresh = await TestCluster.Create("first_admin").OnServer(cluster.Postgres).WithApi(2).WithoutAdmin().StartAsync();

        var created = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            fresh.Anonymous(fresh.Api[i % 2]).CreateUserAsync(Unique.Username("first"))));
        var admins = created.Count(u => ((string)u["roles"]!).Split(' ').Contains("system_admin"));
        Assert.Equal(1, admins);
        Assert.Equal(1L, await fresh.ScalarAsync<long>("SELECT count(*) FROM users WHERE roles LIKE '%system_admin%'"));
    }

    [Fact]
    public async Task A_killed_node_comes_back_and_a_stopped_one_exits_cleanly()
    {
        await using var restart = await TestCluster.Create("restart").OnServer(cluster.Postgres).WithApi().WithoutAdmin().StartAsync();
        var node = restart.Api[0];
        var user = await restart.NewUserAsync(node);

        node.Kill();
        await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.False(node.IsRunning);
        await node.StartAsync();
        // Sessions live in the database, so they survive the node.
        (await user.GetAsync("/api/v4/users/me")).Expect(200);

        Assert.Equal(0, await node.StopAsync());
    }

    [Theory]
    [InlineData("realtime")]
    [InlineData("jobs")]
    public async Task The_other_services_start_and_report_health(string service)
    {
        await using var node = cluster.NewNode(service, $"{service}-test");
        await node.StartAsync();
        var client = cluster.Anonymous(node);
        (await client.GetAsync("/healthz")).Expect(200);
        var ready = (await client.GetAsync("/readyz")).Expect(200);
        Assert.Equal($"{service}-test", ready.Header("X-Cluster-Id"));
        (await client.GetAsync("/nope")).Expect(404);
    }

    [Theory]
    [InlineData("MM_SQLSETTINGS_MAXOPENCONNS", "0", "SqlSettings.MaxOpenConns")]
    [InlineData("MM_SQLSETTINGS_MAXOPENCONNS", "many", "SqlSettings.MaxOpenConns")]
    [InlineData("MM_SQLSETTINGS_QUERYTIMEOUT", "-5", "SqlSettings.QueryTimeout")]
    [InlineData("MM_TEAMSETTINGS_ENABLEOPENSERVER", "maybe", "TeamSettings.EnableOpenServer")]
    [InlineData("MM_SERVICESETTINGS_LISTENADDRESS", "nowhere", "ServiceSettings.ListenAddress")]
    [InlineData("MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES", "10", "ServiceSettings.MaximumPayloadSizeBytes")]
    [InlineData("MM_SQLSETTINGS_DATASOURCE", "", "SqlSettings.DataSource")]
    [InlineData("MM_SQLSETTINGS_DATASOURCE", "garbage", "SqlSettings.DataSource")]
    [InlineData("MM_CONFIG", "/nonexistent/config.json", "/nonexistent/config.json")]
    public async Task An_invalid_setting_stops_the_process_with_a_message_naming_it(string variable, string value, string named)
    {
        await using var node = cluster.NewNode("api", "api-misconfigured", new Dictionary<string, string> { [variable] = value });
        node.Launch();
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, node.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", node.Output, StringComparison.Ordinal);
    }
}
