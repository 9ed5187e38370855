using System.Text.Json.Nodes;
using Chat.Testing;

namespace Chat.IntegrationTests;

/// <summary>
/// One trace from the REST call to the WebSocket send, as exported: an api node and a realtime node export OTLP to a
/// receiver in the test (configured by the standard OTEL_* variables only), and the spans of the post's trace must
/// form the chain request → outbox write → delivery on the realtime node → the send to this client's connection.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class TracingTests(RealtimeFixture cluster)
{
    [Fact]
    public async Task A_post_is_one_trace_from_the_REST_call_through_the_outbox_to_the_websocket_send()
    {
        await using var receiver = new OtlpReceiver();
        Dictionary<string, string> Traced(string service) => cluster.NodeEnvironment(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = service,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        await using var api = new ServiceProcess("api", "api-traced", Traced("chat-api"));
        await using var realtime = new ServiceProcess("realtime", "realtime-traced", Traced("chat-realtime"));
        await Task.WhenAll(api.StartAsync(), realtime.StartAsync());

        var alice = await cluster.NewUserAsync(api, "alice");
        var bob = await cluster.NewUserAsync(api, "bob");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(channelId, bob);

        await using var socket = await MattermostSocket.ConnectAsync(realtime.BaseUrl, bob.Token);
        var hello = await socket.NextEventAsync();
        var connectionId = (string)hello["data"]!["connection_id"]!;

        var response = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "traced" })).Expect(201);
        var postId = response.Json.Id();
        // X-Request-Id is the request's trace id.
        var traceId = response.Header("X-Request-Id")!;
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        var posted = await socket.WaitForAsync("posted", e => JsonNode.Parse((string)e["data"]!["post"]!)!.Id() == postId);

        var trace = await receiver.WaitForTraceAsync(traceId, spans =>
            spans.Any(s => s.Service == "chat-api" && s.Kind == ExportedSpan.Server)
            && spans.Any(s => s.Name == "outbox write posted")
            && spans.Any(s => s.Name == "websocket deliver posted")
            && spans.Any(s => s.Name == "websocket send posted" && s.Attributes.GetValueOrDefault("chat.connection_id") == connectionId),
            TimeSpan.FromSeconds(20));

        var request = Assert.Single(trace, s => s.Service == "chat-api" && s.Kind == ExportedSpan.Server);
        var outbox = Assert.Single(trace, s => s.Name == "outbox write posted");
        var deliver = Assert.Single(trace, s => s.Name == "websocket deliver posted");
        var send = Assert.Single(trace, s => s.Name == "websocket send posted" && s.Attributes.GetValueOrDefault("chat.connection_id") == connectionId);
        Assert.Equal(("chat-api", ExportedSpan.Producer, request.SpanId), (outbox.Service, outbox.Kind, outbox.ParentSpanId));
        Assert.Equal(("chat-realtime", ExportedSpan.Consumer, outbox.SpanId), (deliver.Service, deliver.Kind, deliver.ParentSpanId));
        Assert.Equal(("chat-realtime", ExportedSpan.Producer, outbox.SpanId), (send.Service, send.Kind, send.ParentSpanId));
        Assert.Equal(((long)posted["seq"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), send.Attributes["chat.seq"]);
        // The request's SQL (the session and channel checks) is in the same trace, from Npgsql's own ActivitySource.
        Assert.Contains(trace, s => s.Service == "chat-api" && s.Kind == ExportedSpan.Client && s.ParentSpanId != "");
    }
}
