using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Chat.BuildingBlocks.Dapr;
using Chat.BuildingBlocks.Locks;
using Chat.BuildingBlocks.State;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// The Dapr state and lock providers' calls, checked by the stand-in sidecar against the documented requests
/// (docs.dapr.io/reference/api/state_api, distributed_lock_api) and answered as the runtime answers.
/// </summary>
[Collection("postgres")]
public sealed class DaprStateAndLockContractTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private StandInSidecar sidecar = null!;
    private DaprAppNode node = null!;

    private IStateStore State => node.Services.GetRequiredService<IStateStore>();

    private IDistributedLock Lock => node.Services.GetRequiredService<IDistributedLock>();

    public async Task InitializeAsync()
    {
        sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        node = await DaprAppNode.StartAsync(await postgres.NewDatabaseAsync(), sidecar.Url, output);
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await sidecar.DisposeAsync();
    }

    [Fact]
    public async Task Save_get_and_delete_use_the_documented_URLs_bodies_and_headers()
    {
        const string key = "plugin.a:k 1+x";
        Assert.True(await State.SaveAsync(key, Json(new { a = 1 })));
        var save = Last("POST");
        Assert.Equal("/v1.0/state/statestore", save.RawTarget);
        Assert.Equal("application/json", save.ContentType);
        Assert.Equal(DaprAppNode.ApiToken, save.Token);
        Assert.Equal("""[{"key":"plugin.a:k 1+x","value":{"a":1}}]""", save.Body);

        var entry = await State.GetAsync(key);
        var get = Last("GET");
        // Escaped as Go escapes a path, so the runtime's router hands over the decoded key: ':' and '+' stay, ' ' is %20.
        Assert.Equal("/v1.0/state/statestore/plugin.a:k%201+x", get.RawTarget);
        Assert.Equal("/v1.0/state/statestore/plugin.a:k 1+x", get.Path);
        Assert.Equal(DaprAppNode.ApiToken, get.Token);
        Assert.NotNull(entry);
        Assert.Equal(1, entry.Value.GetProperty("a").GetInt32());
        Assert.Equal(36, entry.ETag.Length);   // the stand-in's unquoted UUID ETag header, read raw

        Assert.True(await State.SaveAsync(key, Json("v2"), timeToLive: TimeSpan.FromMilliseconds(1_500)));
        Assert.Equal("""[{"key":"plugin.a:k 1+x","value":"v2","metadata":{"ttlInSeconds":"2"}}]""", Last("POST").Body);

        Assert.True(await State.DeleteAsync(key));
        var delete = Last("DELETE");
        Assert.Equal("/v1.0/state/statestore/plugin.a:k%201+x", delete.RawTarget);
        Assert.Null(delete.IfMatch);
        Assert.Null(await State.GetAsync(key));   // 204: absent
        await Assert.ThrowsAsync<ArgumentException>(() => State.GetAsync("a/b"));
    }

    [Fact]
    public async Task ETag_writes_and_deletes_send_first_write_concurrency_and_a_409_is_a_lost_race()
    {
        Assert.True(await State.SaveAsync("k", Json(1)));
        var first = (await State.GetAsync("k"))!;
        Assert.True(await State.SaveAsync("k", Json(2), first.ETag));
        Assert.Equal($$$"""[{"key":"k","value":2,"etag":"{{{first.ETag}}}","options":{"concurrency":"first-write"}}]""", Last("POST").Body);

        Assert.False(await State.SaveAsync("k", Json(3), first.ETag));                   // 409 from the sidecar
        Assert.False(await State.SaveAsync("absent", Json(3), first.ETag));              // no ETag matches an absent key
        Assert.Equal(2, (await State.GetAsync("k"))!.Value.GetInt32());

        Assert.False(await State.DeleteAsync("k", first.ETag));
        var refused = Last("DELETE");
        Assert.Equal("/v1.0/state/statestore/k?concurrency=first-write", refused.RawTarget);
        Assert.Equal(first.ETag, refused.IfMatch);
        var current = (await State.GetAsync("k"))!.ETag;
        Assert.True(await State.DeleteAsync("k", current));
        Assert.Equal(current, Last("DELETE").IfMatch);
        Assert.Null(await State.GetAsync("k"));
    }

    [Fact]
    public async Task An_add_is_a_first_write_save_without_ETag_and_loses_to_a_live_key()
    {
        Assert.True(await State.TryAddAsync("mutex", Json("me"), TimeSpan.FromSeconds(30)));
        Assert.Equal("""[{"key":"mutex","value":"me","options":{"concurrency":"first-write"},"metadata":{"ttlInSeconds":"30"}}]""", Last("POST").Body);
        // state.postgresql v2 answers this with 500 "no item was updated", not an ETag mismatch.
        Assert.False(await State.TryAddAsync("mutex", Json("you")));
        Assert.Equal("me", (await State.GetAsync("mutex"))!.Value.GetString());
    }

    [Fact]
    public async Task Keys_are_listed_from_the_index_and_checked_with_one_bulk_get()
    {
        foreach (var key in new[] { "p1:b", "p1:a", "p2:a" })
        {
            Assert.True(await State.SaveAsync(key, Json(key)));
        }
        Assert.True(await State.SaveAsync("p1:short", Json("x"), timeToLive: TimeSpan.FromSeconds(1)));
        Assert.Equal(["p1:a", "p1:b", "p1:short"], await State.ListKeysAsync("p1:"));
        var bulk = Last("POST");
        Assert.Equal("/v1.0/state/statestore/bulk", bulk.RawTarget);
        Assert.Equal("""{"keys":["p1:a","p1:b","p1:short"],"parallelism":10}""", bulk.Body);

        // Expired at the sidecar while the index still has it (for its grace period): the bulk get leaves it out.
        await Eventually.HoldsAsync(async () => await State.GetAsync("p1:short") is null, "the key expired at the sidecar");
        Assert.Equal(["p1:a", "p1:b"], await State.ListKeysAsync("p1:"));
        Assert.True(await State.DeleteAsync("p1:a"));
        Assert.Equal(["p1:b"], await State.ListKeysAsync("p1:"));
        Assert.Equal(["p1:b"], await State.ListKeysAsync("p1:", skip: 0, take: 1));
        Assert.Empty(await State.ListKeysAsync("p1:", skip: 1));
    }

    [Fact]
    public async Task Calls_carry_the_current_trace_context_and_a_refusal_surfaces_the_sidecar_status()
    {
        using var source = new ActivitySource("test");
        using var listener = new ActivityListener { ShouldListenTo = _ => true, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        using (var activity = source.StartActivity("kv"))
        {
            await State.GetAsync("k");
            Assert.Equal(activity!.Id, Last("GET").TraceParent);
        }

        await using var wrongToken = await DaprAppNode.StartAsync(await postgres.NewDatabaseAsync(), sidecar.Url, output, apiToken: "not-the-token");
        var refused = await Assert.ThrowsAsync<DaprException>(() => wrongToken.Services.GetRequiredService<IStateStore>().GetAsync("k"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("ERR_UNAUTHORIZED", refused.Body);
    }

    [Fact]
    public async Task Lock_and_unlock_post_the_documented_bodies_and_read_success_and_status_codes()
    {
        Assert.True(await Lock.TryLockAsync("jobs:leader", "node-1", TimeSpan.FromMilliseconds(1_500)));
        var tryLock = Last("POST");
        Assert.Equal("/v1.0-alpha1/lock/lockstore", tryLock.RawTarget);
        Assert.Equal("application/json", tryLock.ContentType);
        Assert.Equal(DaprAppNode.ApiToken, tryLock.Token);
        Assert.Equal("""{"resourceId":"jobs:leader","lockOwner":"node-1","expiryInSeconds":2}""", tryLock.Body);

        Assert.False(await Lock.TryLockAsync("jobs:leader", "node-2", TimeSpan.FromSeconds(5)));
        Assert.Equal(UnlockStatus.LockBelongsToOthers, await Lock.UnlockAsync("jobs:leader", "node-2"));
        var unlock = Last("POST");
        Assert.Equal("/v1.0-alpha1/unlock/lockstore", unlock.RawTarget);
        Assert.Equal("""{"resourceId":"jobs:leader","lockOwner":"node-2"}""", unlock.Body);
        Assert.Equal(UnlockStatus.Success, await Lock.UnlockAsync("jobs:leader", "node-1"));
        Assert.Equal(UnlockStatus.LockDoesNotExist, await Lock.UnlockAsync("jobs:leader", "node-1"));
        Assert.True(await Lock.TryLockAsync("jobs:leader", "node-2", TimeSpan.FromSeconds(5)));
    }

    private StandInSidecar.Call Last(string method) => sidecar.Calls.Last(c => c.Method == method);

    private static JsonElement Json<T>(T value) => JsonSerializer.SerializeToElement(value);
}
