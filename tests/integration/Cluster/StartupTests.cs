using Chat.Testing;
using Npgsql;

namespace Chat.IntegrationTests;

/// <summary>Nodes starting together on an empty database, racing first sign-ups, restarts, and bad configuration.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StartupTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Three_nodes_started_at_once_on_an_empty_database_migrate_it_exactly_once()
    {
        var dataSource = await cluster.Postgres.CreateDatabaseAsync("migrate_race");
        var nodes = Enumerable.Range(1, 3).Select(i => new ServiceProcess("api", $"api-race-{i}", cluster.NodeEnvironment(dataSource))).ToList();
        try
        {
            foreach (var node in nodes)
            {
                node.Launch();
            }
            await Task.WhenAll(nodes.Select(n => n.WaitReadyAsync(ServiceProcess.ReadyTimeout)));

            var migrations = Directory.GetFiles(Path.Combine(Repository.Root, "services", "store", "Migrations"), "*.sql")
                .Select(f => int.Parse(Path.GetFileName(f)[..4], System.Globalization.CultureInfo.InvariantCulture))
                .Order()
                .ToList();
            await using var connection = new NpgsqlConnection(dataSource);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
            var applied = new List<int>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    applied.Add(reader.GetInt32(0));
                }
            }
            Assert.Equal(migrations, applied);

            // Every node serves, on the same schema.
            foreach (var node in nodes)
            {
                (await cluster.Anonymous(node).GetAsync("/api/v4/system/ping")).Expect(200);
            }
        }
        finally
        {
            await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Concurrent_first_sign_ups_on_two_nodes_make_exactly_one_admin()
    {
        var dataSource = await cluster.Postgres.CreateDatabaseAsync("first_admin");
        await using var one = new ServiceProcess("api", "api-admin-1", cluster.NodeEnvironment(dataSource));
        await using var two = new ServiceProcess("api", "api-admin-2", cluster.NodeEnvironment(dataSource));
        await Task.WhenAll(one.StartAsync(), two.StartAsync());

        var created = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            cluster.Anonymous(i % 2 == 0 ? one : two).CreateUserAsync(Unique.Username("first"))));
        var admins = created.Count(u => ((string)u["roles"]!).Split(' ').Contains("system_admin"));
        Assert.Equal(1, admins);

        await using var connection = new NpgsqlConnection(dataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM users WHERE roles LIKE '%system_admin%'", connection);
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_killed_node_comes_back_and_a_stopped_one_exits_cleanly()
    {
        var dataSource = await cluster.Postgres.CreateDatabaseAsync("restart");
        await using var node = new ServiceProcess("api", "api-restart", cluster.NodeEnvironment(dataSource));
        await node.StartAsync();
        var user = await ApiClient.NewUserAsync(cluster.Http, node.BaseUrl);

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
        await using var node = new ServiceProcess(service, $"{service}-test", cluster.NodeEnvironment(cluster.DataSource));
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
        var environment = cluster.NodeEnvironment(cluster.DataSource);
        environment[variable] = value;
        await using var node = new ServiceProcess("api", "api-misconfigured", environment);
        node.Launch();
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, node.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", node.Output, StringComparison.Ordinal);
    }
}
