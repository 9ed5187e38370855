using System.Diagnostics;
using Chat.BuildingBlocks.Locks;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

[Collection("postgres")]
public sealed class EmbeddedLockTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Of_many_owners_on_two_nodes_racing_for_a_lock_exactly_one_gets_it_and_unlock_answers_with_Dapr_status_codes()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var a = await BlocksNode.StartAsync(db, "node-a", output);
        await using var b = await BlocksNode.StartAsync(db, "node-b", output);

        var owners = Enumerable.Range(0, 16).Select(i => $"owner-{i}").ToArray();
        var taken = await Task.WhenAll(owners.Select((owner, i) => Task.Run(() => (i % 2 == 0 ? a : b).Lock.TryLockAsync("job:leader", owner, TimeSpan.FromSeconds(30)))));
        Assert.Single(taken, t => t);
        var holder = owners[Array.IndexOf(taken, true)];
        var other = owners.First(o => o != holder);

        Assert.False(await a.Lock.TryLockAsync("job:leader", holder, TimeSpan.FromSeconds(30)));     // no re-entry, as with Dapr
        Assert.True(await a.Lock.TryLockAsync("job:other", other, TimeSpan.FromSeconds(30)));        // resources are independent
        Assert.Equal(UnlockStatus.LockBelongsToOthers, await b.Lock.UnlockAsync("job:leader", other));
        Assert.Equal(UnlockStatus.Success, await b.Lock.UnlockAsync("job:leader", holder));
        Assert.Equal(UnlockStatus.LockDoesNotExist, await a.Lock.UnlockAsync("job:leader", holder));
        Assert.Equal(UnlockStatus.LockDoesNotExist, await a.Lock.UnlockAsync("never-taken", holder));
        Assert.True(await b.Lock.TryLockAsync("job:leader", other, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_lock_that_is_not_released_expires_by_the_database_clock_and_can_be_taken_by_another_node()
    {
        var db = await postgres.NewDatabaseAsync();
        await using var a = await BlocksNode.StartAsync(db, "node-a", output);
        await using var b = await BlocksNode.StartAsync(db, "node-b", output);
        var clock = Stopwatch.StartNew();
        Assert.True(await a.Lock.TryLockAsync("job:leader", "crashed-holder", TimeSpan.FromMilliseconds(300)));   // rounded up to 1 s
        Assert.False(await b.Lock.TryLockAsync("job:leader", "successor", TimeSpan.FromSeconds(10)));

        await Eventually.HoldsAsync(() => b.Lock.TryLockAsync("job:leader", "successor", TimeSpan.FromSeconds(10)), "the successor got the lock");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"taken over after {clock.Elapsed}");
        Assert.Equal(UnlockStatus.LockBelongsToOthers, await a.Lock.UnlockAsync("job:leader", "crashed-holder"));

        Assert.True(await a.Lock.TryLockAsync("job:expires", "holder", TimeSpan.FromSeconds(1)));
        await Eventually.HoldsAsync(async () => await b.Lock.UnlockAsync("job:expires", "not-the-holder") == UnlockStatus.LockDoesNotExist, "the lock expired");
        Assert.Equal(2, await RowsAsync(a));                                   // expired rows stay until pruned
        Assert.Equal(1, await a.Pruner.PruneAsync(CancellationToken.None));
        Assert.Equal(1, await RowsAsync(a));
    }

    private static async Task<long> RowsAsync(BlocksNode node)
    {
        await using var command = node.DataSource.CreateCommand("SELECT count(*) FROM distributed_locks");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
