using System.Net;
using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>The app side of Dapr pub/sub, driven the way the sidecar drives it: subscription discovery and CloudEvent delivery.</summary>
[Collection("postgres")]
public sealed class DaprSubscriptionTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private readonly List<ClusterEvent> handled = [];
    private StandInSidecar sidecar = null!;
    private DaprAppNode node = null!;
    private Func<ClusterEvent, Task> behaviour = _ => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        node = await DaprAppNode.StartAsync(await postgres.NewDatabaseAsync(), sidecar.Url, output, bus =>
        {
            bus.Subscribe("cluster-events", async (e, _) =>
            {
                await behaviour(e);
                lock (handled)
                {
                    handled.Add(e);
                }
            });
            bus.Subscribe("config", (_, _) => Task.CompletedTask);
        });
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await sidecar.DisposeAsync();
    }

    [Fact]
    public async Task Subscribe_lists_every_subscribed_topic_with_its_route()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe") { Headers = { { "dapr-api-token", DaprAppNode.AppToken } } };
        using var response = await node.Sidecar.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.Content.ReadAsStringAsync();
        Assert.Equal("""[{"pubsubname":"pubsub","topic":"cluster-events","route":"/dapr/events/cluster-events"},{"pubsubname":"pubsub","topic":"config","route":"/dapr/events/config"}]""", json);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Calls_without_the_app_token_are_refused_with_401(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe");
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        using var subscribe = await node.Sidecar.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, subscribe.StatusCode);
        using var error = JsonDocument.Parse(await subscribe.Content.ReadAsStringAsync());
        Assert.Equal(401, error.RootElement.GetProperty("status_code").GetInt32());
        Assert.Equal("api.dapr.app_token.app_error", error.RootElement.GetProperty("id").GetString());

        using var delivery = await node.DeliverAsync("cluster-events", CloudEvent("e-1"), token);
        Assert.Equal(HttpStatusCode.Unauthorized, delivery.StatusCode);
        Assert.Empty(handled);
    }

    [Fact]
    public async Task A_delivered_CloudEvent_is_unwrapped_and_handled_once_and_answered_SUCCESS()
    {
        var time = Now;
        using var response = await node.DeliverAsync("cluster-events", CloudEvent("e-1", data: """{"post_id":"p1","n":3}""", time: time));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"SUCCESS"}""", await response.Content.ReadAsStringAsync());
        var e = Assert.Single(handled);
        Assert.Equal("e-1", e.Id);
        Assert.Equal("cluster-events", e.Topic);
        Assert.Equal("posted", e.Type);
        Assert.Equal("p1", e.Data.GetProperty("post_id").GetString());
        Assert.Equal(3, e.Data.GetProperty("n").GetInt32());
        Assert.Equal(TraceParent, e.TraceParent);
        Assert.Equal(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture), e.Time);
    }

    [Fact]
    public async Task The_envelope_Dapr_itself_generates_is_accepted_and_the_trace_header_is_the_fallback()
    {
        var daprShaped = $$"""
            {"topic":"cluster-events","pubsubname":"pubsub","traceid":"{{TraceParent}}","tracestate":"",
             "data":{"orderId":1},"id":"5929aaac-a5e2-4ca1-859c-edfe73f11565","specversion":"1.0",
             "datacontenttype":"application/json; charset=utf-8","source":"checkout","type":"com.dapr.event.sent",
             "time":"{{Now}}"}
            """;
        using var response = await node.DeliverAsync("cluster-events", daprShaped, traceParent: TraceParent);
        Assert.Equal("""{"status":"SUCCESS"}""", await response.Content.ReadAsStringAsync());
        var e = Assert.Single(handled);
        Assert.Equal(1, e.Data.GetProperty("orderId").GetInt32());
        Assert.Equal(TraceParent, e.TraceParent);
    }

    [Fact]
    public async Task An_event_published_before_this_process_started_is_acknowledged_unhandled()
    {
        // A new per-instance consumer group starts at the beginning of the stream: old events must not replay.
        var old = DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O");
        using var response = await node.DeliverAsync("cluster-events", CloudEvent("old", time: old));
        Assert.Equal("""{"status":"SUCCESS"}""", await response.Content.ReadAsStringAsync());
        Assert.Empty(handled);
    }

    [Fact]
    public async Task A_duplicate_id_is_answered_SUCCESS_without_calling_the_handler_again()
    {
        using (var first = await node.DeliverAsync("cluster-events", CloudEvent("dup")))
        {
            Assert.Equal("""{"status":"SUCCESS"}""", await first.Content.ReadAsStringAsync());
        }
        using (var again = await node.DeliverAsync("cluster-events", CloudEvent("dup")))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal("""{"status":"SUCCESS"}""", await again.Content.ReadAsStringAsync());
        }
        Assert.Single(handled);
    }

    [Fact]
    public async Task Concurrent_duplicates_run_the_handler_once_and_share_its_outcome()
    {
        var release = new TaskCompletionSource();
        behaviour = _ => release.Task;
        var deliveries = Enumerable.Range(0, 4).Select(_ => node.DeliverAsync("cluster-events", CloudEvent("same"))).ToList();
        await Task.Delay(200);
        release.SetResult();
        foreach (var delivery in deliveries)
        {
            using var response = await delivery;
            Assert.Equal("""{"status":"SUCCESS"}""", await response.Content.ReadAsStringAsync());
        }
        Assert.Single(handled);
    }

    [Fact]
    public async Task A_failing_handler_is_answered_RETRY_and_the_redelivery_is_handled()
    {
        var calls = 0;
        behaviour = _ => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("database unavailable") : Task.CompletedTask;
        using (var failed = await node.DeliverAsync("cluster-events", CloudEvent("flaky")))
        {
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
            Assert.Equal("""{"status":"RETRY"}""", await failed.Content.ReadAsStringAsync());
        }
        Assert.Empty(handled);
        using (var redelivered = await node.DeliverAsync("cluster-events", CloudEvent("flaky")))
        {
            Assert.Equal("""{"status":"SUCCESS"}""", await redelivered.Content.ReadAsStringAsync());
        }
        Assert.Equal(2, calls);
        Assert.Single(handled);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""["an","array"]""")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"posted","data":{}}""")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","data":{}}""")]
    [InlineData("""{"specversion":"0.3","id":"x","source":"s","type":"posted","data":{}}""")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"posted"}""")]
    [InlineData("""{"specversion":"1.0","id":"x","source":"s","type":"posted","datacontenttype":"text/plain","data":"hello"}""")]
    [InlineData("")]
    public async Task A_malformed_delivery_is_answered_DROP(string body)
    {
        using var response = await node.DeliverAsync("cluster-events", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"DROP"}""", await response.Content.ReadAsStringAsync());
        Assert.Empty(handled);
    }

    [Fact]
    public async Task A_delivery_for_a_topic_nobody_here_handles_is_answered_DROP()
    {
        using var response = await node.DeliverAsync("nobody-listens", CloudEvent("e-9"));
        Assert.Equal("""{"status":"DROP"}""", await response.Content.ReadAsStringAsync());
    }

    private static string Now => DateTimeOffset.UtcNow.ToString("O");

    private static string CloudEvent(string id, string data = """{"post_id":"p1"}""", string? time = null) => $$"""
        {"specversion":"1.0","id":"{{id}}","source":"chat-api","type":"posted","datacontenttype":"application/json",
         "time":"{{time ?? Now}}","traceparent":"{{TraceParent}}","data":{{data}}}
        """;
}
