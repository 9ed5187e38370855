using System.Diagnostics;
using System.Text.Json;
using Chat.BuildingBlocks.State;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

[Collection("postgres")]
public sealed class EmbeddedStateStoreTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task ETags_guard_writes_and_deletes_and_writes_without_one_are_last_write_wins()
    {
        await using var node = await BlocksNode.StartAsync(await postgres.NewDatabaseAsync(), "node-a", output);
        var store = node.State;

        Assert.Null(await store.GetAsync("p1:k"));
        Assert.False(await store.SaveAsync("p1:k", Json(1), etag: Guid.NewGuid().ToString()));   // absent key: no ETag matches
        Assert.Null(await store.GetAsync("p1:k"));

        Assert.True(await store.SaveAsync("p1:k", Json(new { n = 1 })));
        var first = (await store.GetAsync("p1:k"))!;
        Assert.Equal(1, first.Value.GetProperty("n").GetInt32());
        Assert.Equal("p1:k", first.Key);

        Assert.True(await store.SaveAsync("p1:k", Json(new { n = 2 }), first.ETag));
        var second = (await store.GetAsync("p1:k"))!;
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.False(await store.SaveAsync("p1:k", Json(new { n = 3 }), first.ETag));               // stale
        Assert.False(await store.SaveAsync("p1:k", Json(new { n = 3 }), "not-an-etag"));
        Assert.Equal(2, (await store.GetAsync("p1:k"))!.Value.GetProperty("n").GetInt32());

        Assert.True(await store.SaveAsync("p1:k", Json("overwritten")));                            // no ETag: wins
        Assert.Equal("overwritten", (await store.GetAsync("p1:k"))!.Value.GetString());

        var current = (await store.GetAsync("p1:k"))!.ETag;
        Assert.False(await store.DeleteAsync("p1:k", second.ETag));
        Assert.NotNull(await store.GetAsync("p1:k"));
        Assert.True(await store.DeleteAsync("p1:k", current));
        Assert.Null(await store.GetAsync("p1:k"));
        Assert.True(await store.DeleteAsync("p1:k"));                                               // absent, no ETag
        Assert.False(await store.DeleteAsync("p1:k", current));                                     // absent, ETag

        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync("a||b"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SaveAsync("", Json(1)));
    }

    [Fact]
    public async Task Concurrent_compare_and_set_increments_from_two_nodes_lose_no_update()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var a = await BlocksNode.StartAsync(db, "node-a", output);
        await using var b = await BlocksNode.StartAsync(db, "node-b", output);
        Assert.True(await a.State.SaveAsync("counter", Json(0)));
        const int PerWorker = 25;
        var conflicts = 0;

        async Task IncrementAsync(IStateStore store)
        {
            for (var i = 0; i < PerWorker; i++)
            {
                while (true)
                {
                    var entry = (await store.GetAsync("counter"))!;
                    if (await store.SaveAsync("counter", Json(entry.Value.GetInt32() + 1), entry.ETag))
                    {
                        break;
                    }
                    Interlocked.Increment(ref conflicts);
                }
            }
        }

        var workers = Enumerable.Range(0, 8).Select(i => Task.Run(() => IncrementAsync(i % 2 == 0 ? a.State : b.State))).ToArray();
        await Task.WhenAll(workers);
        Assert.Equal(8 * PerWorker, (await a.State.GetAsync("counter"))!.Value.GetInt32());
        output.WriteLine($"{conflicts} conflicts retried");
        Assert.True(conflicts > 0, "the workers never raced; the test proves nothing");
    }

    [Fact]
    public async Task Of_concurrent_adds_of_one_key_exactly_one_wins_and_an_expired_key_can_be_added_again()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var a = await BlocksNode.StartAsync(db, "node-a", output);
        await using var b = await BlocksNode.StartAsync(db, "node-b", output);
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).State.TryAddAsync("mutex", Json(i)))));
        Assert.Single(results, r => r);
        var winner = Array.IndexOf(results, true);
        Assert.Equal(winner, (await a.State.GetAsync("mutex"))!.Value.GetInt32());

        Assert.True(await a.State.TryAddAsync("lease", Json("first"), TimeSpan.FromSeconds(1)));
        Assert.False(await b.State.TryAddAsync("lease", Json("second")));
        await Eventually.HoldsAsync(async () => await b.State.GetAsync("lease") is null, "the lease expired");
        Assert.True(await b.State.TryAddAsync("lease", Json("second")));
        Assert.Equal("second", (await a.State.GetAsync("lease"))!.Value.GetString());
    }

    [Fact]
    public async Task A_key_with_a_time_to_live_vanishes_at_expiry_for_every_operation_and_is_pruned()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var node = await BlocksNode.StartAsync(db, "node-a", output);
        var store = node.State;
        var clock = Stopwatch.StartNew();
        Assert.True(await store.SaveAsync("t:short", Json("x"), timeToLive: TimeSpan.FromSeconds(1)));
        Assert.True(await store.SaveAsync("t:long", Json("y"), timeToLive: TimeSpan.FromMinutes(5)));
        Assert.True(await store.SaveAsync("t:made-permanent", Json("z"), timeToLive: TimeSpan.FromSeconds(1)));
        Assert.True(await store.SaveAsync("t:made-permanent", Json("z")));
        var etag = (await store.GetAsync("t:short"))!.ETag;
        Assert.Equal(["t:long", "t:made-permanent", "t:short"], await store.ListKeysAsync("t:"));

        await Eventually.HoldsAsync(async () => await store.GetAsync("t:short") is null, "the key expired");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"expired after {clock.Elapsed}");
        Assert.False(await store.SaveAsync("t:short", Json("again"), etag));
        Assert.False(await store.DeleteAsync("t:short", etag));
        Assert.Equal(["t:long", "t:made-permanent"], await store.ListKeysAsync("t:"));
        Assert.NotNull(await store.GetAsync("t:made-permanent"));

        Assert.Equal(3, await RowsAsync(node.DataSource));
        Assert.Equal(1, await node.Pruner.PruneAsync(CancellationToken.None));
        Assert.Equal(2, await RowsAsync(node.DataSource));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.SaveAsync("t:zero", Json(1), timeToLive: TimeSpan.Zero));
    }

    [Fact]
    public async Task Keys_are_listed_by_prefix_in_ordinal_order_with_paging_and_like_wildcards_taken_literally()
    {
        await using var node = await BlocksNode.StartAsync(await postgres.NewDatabaseAsync(), "node-a", output);
        var store = node.State;
        foreach (var key in new[] { "plugin_a:b", "plugin_a:a", "plugin_a:C", "plugin_ab:x", "pluginXa:y", @"p%\:z", "other:a" })
        {
            Assert.True(await store.SaveAsync(key, Json(key)));
        }
        Assert.Equal(["plugin_a:C", "plugin_a:a", "plugin_a:b"], await store.ListKeysAsync("plugin_a:"));
        Assert.Equal(["plugin_a:a", "plugin_a:b"], await store.ListKeysAsync("plugin_a:", skip: 1, take: 5));
        Assert.Equal(["plugin_a:C"], await store.ListKeysAsync("plugin_a:", take: 1));
        Assert.Equal([@"p%\:z"], await store.ListKeysAsync(@"p%\"));
        Assert.Equal(7, (await store.ListKeysAsync("")).Count);
        Assert.Empty(await store.ListKeysAsync("plugin_a:", skip: 3));
    }

    private static async Task<long> RowsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM state_entries");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal static JsonElement Json<T>(T value) => JsonSerializer.SerializeToElement(value);
}
