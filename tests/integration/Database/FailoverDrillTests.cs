using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// The manual failover drill: the primary goes away while both nodes take posts; the replica is promoted, config.json
/// is pointed at it and reloaded through the API. Writes resume on both nodes without restarting either; the test
/// measures the write gap and checks that no acknowledged post was lost.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class FailoverDrillTests(FailoverFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Promoting_the_replica_and_reloading_resumes_writes_on_every_node_without_a_restart()
    {
        var writer = await cluster.NewUserAsync(cluster.Api1);
        var teamId = await writer.CreateTeamAsync();
        var channelId = await writer.CreateChannelAsync(teamId);
        var nodes = new[] { writer, writer.On(cluster.Api2.BaseUrl) };
        var clock = Stopwatch.StartNew();
        var acknowledged = new ConcurrentBag<string>();
        var successes = new ConcurrentQueue<(int Node, TimeSpan At)>();
        long failed = 0;
        using var stop = new CancellationTokenSource();
        var load = nodes.Select((client, node) => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var response = await client.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = $"node {node} post {i}" });
                    if (response.Status == 201)
                    {
                        acknowledged.Add(response.Json.Id());
                        successes.Enqueue((node, clock.Elapsed));
                        continue;
                    }
                }
                catch (Exception e) when (e is ContractViolationException or HttpRequestException or TaskCanceledException)
                {
                    // A failed write during the outage: what the gap measures.
                }
                Interlocked.Increment(ref failed);
                await Task.Delay(20);
            }
        })).ToList();

        await Task.Delay(1000);
        var down = clock.Elapsed;
        await cluster.Postgres.StopAsync();
        await cluster.Replica.PromoteAsync();
        var promoted = clock.Elapsed;
        await cluster.EditConfigAsync(c =>
        {
            c["SqlSettings"]!["DataSource"] = cluster.ReplicaDataSource;
            c["SqlSettings"]!["DataSourceReplicas"] = new JsonArray();
        });
        // Right after the promotion the first attempts can still fail (the pool rechecks a former standby every
        // second): an operator retries, and so does the drill.
        ApiResponse? reloadResponse = null;
        var reloadAttempts = 0;
        await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(10), async () =>
        {
            reloadAttempts++;
            try
            {
                reloadResponse = await cluster.Admin.PostAsync("/api/v4/config/reload", null);
                return true;
            }
            catch (ContractViolationException)
            {
                return false;
            }
        });
        var reload = reloadResponse!.Expect(200).Json;
        var reloaded = clock.Elapsed;
        Assert.Contains("SqlSettings.DataSource", reload["applied"]!.AsArray().Select(n => (string?)n));
        Assert.Empty(reload["requires_restart"]!.AsArray());

        // The reload reached the other node: it no longer lists the promoted server as a replica.
        await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(5), async () => (await cluster.RoutingAsync(cluster.Api2))["replicas"]!.AsArray().Count == 0);
        // Both nodes write again; then a little more load after that.
        await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(20), () => Task.FromResult(
            Enumerable.Range(0, 2).All(n => successes.Any(s => s.Node == n && s.At > reloaded))));
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var gaps = Enumerable.Range(0, 2).Select(n =>
        {
            var mine = successes.Where(s => s.Node == n).Select(s => s.At).ToList();
            var lastBefore = mine.Where(t => t <= down).DefaultIfEmpty(TimeSpan.Zero).Max();
            var firstAfter = mine.Where(t => t > down).Min();
            return firstAfter - lastBefore;
        }).ToList();
        output.WriteLine($"write gap per node: {string.Join(", ", gaps.Select(g => $"{g.TotalMilliseconds:F0} ms"))}; primary stopped + replica promoted in {(promoted - down).TotalMilliseconds:F0} ms, config reloaded {(reloaded - down).TotalMilliseconds:F0} ms after the stop ({reloadAttempts} attempts); {acknowledged.Count} posts acknowledged, {failed} attempts failed");
        Assert.All(gaps, g => Assert.True(g < TimeSpan.FromSeconds(10), $"write gap {g}"));

        // Every acknowledged post is on the new primary (a fast shutdown sends all WAL to the standby first).
        var stored = new HashSet<string>();
        for (var page = 0; ; page++)
        {
            var list = (await writer.GetAsync($"/api/v4/channels/{channelId}/posts?page={page}&per_page=200")).Expect(200).Json;
            var order = list.Order();
            stored.UnionWith(order);
            if (order.Count < 200)
            {
                break;
            }
        }
        Assert.Empty(acknowledged.Except(stored));
        // Logins still work (sessions came over with the data) and new writes go to the new primary on both nodes.
        (await (await cluster.NewUserAsync(cluster.Api2)).GetAsync("/api/v4/users/me")).Expect(200);
    }
}
