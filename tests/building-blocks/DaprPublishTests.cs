using System.Net;
using System.Text.Json;
using Chat.BuildingBlocks.Dapr;
using Chat.BuildingBlocks.PubSub;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>The Dapr provider's calls to the sidecar, checked against the documented publish API by a stand-in sidecar.</summary>
[Collection("postgres")]
public sealed class DaprPublishTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public async Task Publish_posts_our_CloudEvent_to_the_documented_URL_with_token_trace_context_and_ttl_metadata()
    {
        await using var sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        await using var node = await DaprAppNode.StartAsync(await postgres.NewDatabaseAsync(), sidecar.Url, output);

        var typing = ClusterEvent.Create("cluster-events", "typing", new { channel_id = "c1", user_id = "u1" }) with
        {
            TraceParent = TraceParent,
            TimeToLive = TimeSpan.FromMilliseconds(4_200),
        };
        var posted = ClusterEvent.Create("cluster-events", "posted", new { post_id = "p1" });
        await node.Bus.PublishAsync([typing, posted]);

        var requests = sidecar.Published.ToArray();
        Assert.Equal(2, requests.Length);
        var first = requests[0];
        Assert.Equal("pubsub", first.PubSubName);
        Assert.Equal("cluster-events", first.Topic);
        Assert.Equal(new Dictionary<string, string> { ["metadata.ttlInSeconds"] = "5" }, first.Query);
        Assert.Equal("application/cloudevents+json", first.ContentType);
        Assert.Equal(DaprAppNode.ApiToken, first.Token);
        Assert.Equal(TraceParent, first.TraceParent);
        var body = first.Body;
        Assert.Equal("1.0", body.GetProperty("specversion").GetString());
        Assert.Equal(typing.Id, body.GetProperty("id").GetString());
        Assert.Equal("chat-api", body.GetProperty("source").GetString());
        Assert.Equal("typing", body.GetProperty("type").GetString());
        Assert.Equal("application/json", body.GetProperty("datacontenttype").GetString());
        Assert.Equal(TraceParent, body.GetProperty("traceparent").GetString());
        Assert.True(body.GetProperty("time").TryGetDateTimeOffset(out _));
        Assert.Equal("c1", body.GetProperty("data").GetProperty("channel_id").GetString());
        Assert.Equal(JsonValueKind.Object, body.GetProperty("data").ValueKind);

        var second = requests[1];
        Assert.Empty(second.Query);
        Assert.Equal(posted.Id, second.Body.GetProperty("id").GetString());
        Assert.Equal("p1", second.Body.GetProperty("data").GetProperty("post_id").GetString());
    }

    [Fact]
    public async Task A_refused_publish_surfaces_the_sidecar_status()
    {
        await using var sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        var db = await postgres.NewDatabaseAsync();
        await using (var wrongToken = await DaprAppNode.StartAsync(db, sidecar.Url, output, apiToken: "not-the-token"))
        {
            var refused = await Assert.ThrowsAsync<DaprException>(() => wrongToken.Bus.PublishAsync(Events.New("t", new { })));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        await using var node = await DaprAppNode.StartAsync(db, sidecar.Url, output);
        sidecar.FailNext = 1;
        var failed = await Assert.ThrowsAsync<DaprException>(() => node.Bus.PublishAsync(Events.New("t", new { })));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Contains("ERR_PUBSUB_PUBLISH_MESSAGE", failed.Body);
        Assert.Empty(sidecar.Published);
    }

    [Fact]
    public async Task Transactional_publishes_reach_the_sidecar_through_the_outbox_relay_after_commit_in_order_despite_failures()
    {
        await using var sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        var db = await postgres.NewDatabaseAsync();
        await using var node = await DaprAppNode.StartAsync(db, sidecar.Url, output);
        await WaitUntil(() => node.DaprBus.IsRelay);

        sidecar.FailNext = 3;
        var committed = new List<ClusterEvent>();
        for (var i = 0; i < 20; i++)
        {
            await using var connection = await node.DataSource.OpenConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync();
            var e = Events.New("cluster-events", new { i }) with { TraceParent = TraceParent };
            await node.Bus.PublishAsync(tx, e);
            if (i % 5 == 4)
            {
                await tx.RollbackAsync();
            }
            else
            {
                if (i == 0)
                {
                    await Task.Delay(300);
                    Assert.Empty(sidecar.Published);
                }
                await tx.CommitAsync();
                committed.Add(e);
            }
        }

        await sidecar.WaitForAsync(committed.Count);
        await Task.Delay(300);
        var published = sidecar.Published.ToArray();
        Assert.Equal(committed.Select(e => e.Id), published.Select(p => p.Body.GetProperty("id").GetString()));
        Assert.All(published, p =>
        {
            Assert.Equal("cluster-events", p.Topic);
            Assert.Equal(DaprAppNode.ApiToken, p.Token);
            Assert.Equal(TraceParent, p.Body.GetProperty("traceparent").GetString());
        });
    }

    [Fact]
    public async Task The_outbox_relay_fails_over_to_another_node_without_losing_events()
    {
        await using var sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        var db = await postgres.NewDatabaseAsync();
        var first = await DaprAppNode.StartAsync(db, sidecar.Url, output);
        await WaitUntil(() => first.DaprBus.IsRelay);
        await using var second = await DaprAppNode.StartAsync(db, sidecar.Url, output);
        await Task.Delay(300);
        Assert.False(second.DaprBus.IsRelay);

        var before = Events.New("cluster-events", new { n = 1 });
        await PublishCommittedAsync(second, before);
        await sidecar.WaitForAsync(1);

        await first.DisposeAsync();
        var after = Events.New("cluster-events", new { n = 2 });
        await PublishCommittedAsync(second, after);
        await WaitUntil(() => second.DaprBus.IsRelay, TimeSpan.FromSeconds(10));
        // At least once: the old relay may have stopped between publishing and saving its place, so the new one
        // can publish `before` again, with the same CloudEvent id, for consumers to de-duplicate.
        List<string?> Ids() => [.. sidecar.Published.Select(p => p.Body.GetProperty("id").GetString())];
        await WaitUntil(() => Ids().Contains(after.Id));
        Assert.Equal([before.Id, after.Id], Ids().Distinct());
        Assert.Equal(after.Id, Ids()[^1]);
    }

    private static async Task PublishCommittedAsync(DaprAppNode node, ClusterEvent e)
    {
        await using var connection = await node.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await node.Bus.PublishAsync(tx, e);
        await tx.CommitAsync();
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
