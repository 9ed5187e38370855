using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// Reads that tolerate lag run on the replica, a user's reads after their own write on the primary, and a replica
/// that goes away costs no request. Where a read ran is taken from the nodes' routing counters and checked against
/// the replica server's own view of its client connections.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class DatabaseRoutingTests(ReplicaFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Lists_are_read_from_the_replica()
    {
        // Whatever the admin wrote at start-up is outside the read-your-writes window by now.
        await Task.Delay(ReplicatedCluster.ReadYourWritesMilliseconds);
        var before = await cluster.RoutingAsync(cluster.Api1);
        for (var i = 0; i < 20; i++)
        {
            var users = (await cluster.Admin.GetAsync("/api/v4/users?page=0&per_page=100")).Expect(200).Json;
            Assert.Contains(cluster.Admin.UserId, users.Ids());
        }
        var after = await cluster.RoutingAsync(cluster.Api1);
        Assert.Equal(20, ReplicatedCluster.Reads(after, "replica-1") - ReplicatedCluster.Reads(before, "replica-1"));
        Assert.Equal(ReplicatedCluster.Reads(before, "primary"), ReplicatedCluster.Reads(after, "primary"));
        Assert.True((bool)after["replicas"]![0]!["up"]!);

        // The replica server itself sees the api's connections (a hot standby: it could not have taken a write).
        await using var replica = new NpgsqlConnection(cluster.ReplicaDataSource);
        await replica.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'chat-api' AND datname = 'chat')", replica);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(reader.GetBoolean(0));
        Assert.True(reader.GetInt64(1) > 0);
    }

    [Fact]
    public async Task A_user_reads_their_own_writes_from_the_primary_until_the_window_passes()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        await Task.Delay(ReplicatedCluster.ReadYourWritesMilliseconds);
        var teamId = await user.CreateTeamAsync();
        var before = await cluster.RoutingAsync(cluster.Api1);
        Assert.Contains(teamId, (await user.GetAsync("/api/v4/users/me/teams")).Expect(200).Json.Ids());
        var after = await cluster.RoutingAsync(cluster.Api1);
        Assert.Equal(1, ReplicatedCluster.Reads(after, "primary") - ReplicatedCluster.Reads(before, "primary"));
        Assert.Equal(ReplicatedCluster.Reads(before, "replica-1"), ReplicatedCluster.Reads(after, "replica-1"));

        await Task.Delay(ReplicatedCluster.ReadYourWritesMilliseconds);
        Assert.Contains(teamId, (await user.GetAsync("/api/v4/users/me/teams")).Expect(200).Json.Ids());
        var later = await cluster.RoutingAsync(cluster.Api1);
        Assert.Equal(1, ReplicatedCluster.Reads(later, "replica-1") - ReplicatedCluster.Reads(after, "replica-1"));
    }

    [Fact]
    public async Task Stopping_the_replica_fails_no_request_and_reads_return_to_it_once_it_is_back()
    {
        var reader = await cluster.NewUserAsync(cluster.Api1);
        await Task.Delay(ReplicatedCluster.ReadYourWritesMilliseconds);
        var nodes = new[] { reader, reader.On(cluster.Api2.BaseUrl) };
        using var stop = new CancellationTokenSource();
        long ok = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var load = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var client = nodes[(worker + i) % 2];
                try
                {
                    var response = await client.GetAsync(i % 2 == 0 ? "/api/v4/users?page=0&per_page=20" : "/api/v4/users/me/teams");
                    if (response.Status == 200)
                    {
                        Interlocked.Increment(ref ok);
                    }
                    else
                    {
                        failures.Enqueue(response.ToString());
                    }
                }
                catch (Exception e) when (e is ContractViolationException or HttpRequestException or TaskCanceledException)
                {
                    failures.Enqueue(e.Message);
                }
            }
        })).ToList();

        await Task.Delay(500);
        var stopped = Stopwatch.StartNew();
        await cluster.Replica.StopAsync();
        await Task.Delay(1500);
        await cluster.Replica.StartServerAsync();
        var restarted = stopped.Elapsed;
        // Probed every second: both nodes route to it again, and reads land there.
        foreach (var node in new[] { cluster.Api1, cluster.Api2 })
        {
            var baseline = ReplicatedCluster.Reads(await cluster.RoutingAsync(node), "replica-1");
            await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(10), async () =>
            {
                var routing = await cluster.RoutingAsync(node);
                return (bool)routing["replicas"]![0]!["up"]! && ReplicatedCluster.Reads(routing, "replica-1") > baseline;
            });
        }
        var back = stopped.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var routing1 = await cluster.RoutingAsync(cluster.Api1);
        output.WriteLine($"{ok} reads, {failures.Count} failed; replica stopped for {restarted.TotalSeconds:F1} s, in use again on both nodes {back.TotalSeconds:F1} s after the stop; api-1 replica failures counted: {routing1["replicas"]![0]!["failures"]}");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(ok > 50, $"only {ok} reads");
        Assert.True((long)routing1["replicas"]![0]!["failures"]! >= 1);
    }
}
