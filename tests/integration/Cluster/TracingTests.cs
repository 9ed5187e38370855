using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// One trace from the REST call to the WebSocket send, as exported: an api node and a realtime node export OTLP to a
/// receiver in the test (configured by the standard OTEL_* variables only), and the spans of the post's trace must
/// form the chain request → outbox write → delivery on the realtime node → the send to this client's connection.
/// With the Dapr provider, the same trace also runs through the outbox relay's publish to the sidecar (a recorder
/// standing in for daprd's publish endpoint, as none can run here).
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class TracingTests(RealtimeFixture cluster)
{
    [Fact]
    public async Task A_post_is_one_trace_from_the_REST_call_through_the_outbox_to_the_websocket_send()
    {
        await using var receiver = new OtlpReceiver();
        Dictionary<string, string> Traced(string service) => new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = service,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        };
        await using var api = cluster.NewNode("api", "api-traced", Traced("chat-api"));
        await using var realtime = cluster.NewNode("realtime", "realtime-traced", Traced("chat-realtime"));
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
        // The ASP.NET Core instrumentation names the server span by its route template, not by the raw path.
        Assert.Equal(("POST /api/v4/posts/", "/api/v4/posts/", "201"), (request.Name, request.Attributes.GetValueOrDefault("http.route"), request.Attributes.GetValueOrDefault("http.response.status_code")));
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

    [Fact]
    public async Task With_the_Dapr_provider_the_trace_continues_through_the_outbox_relay_to_the_sidecar_publish()
    {
        await using var receiver = new OtlpReceiver();
        await using var sidecar = new PublishRecorder();
        var api = cluster.NewNode("api", "api-dapr-traced", new Dictionary<string, string>
        {
            ["MM_DAPRSETTINGS_PROVIDER"] = "Dapr",
            ["DAPR_HTTP_ENDPOINT"] = sidecar.Endpoint,
            ["DAPR_API_TOKEN"] = PublishRecorder.Token,
            ["APP_ID"] = "chat-api",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "chat-api",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        await using (api)
        {
            await api.StartAsync();
            var alice = await cluster.NewUserAsync(api, "alice");
            var teamId = await alice.CreateTeamAsync();
            var channelId = await alice.CreateChannelAsync(teamId);

            var response = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "traced through dapr" })).Expect(201);
            var postId = response.Json.Id();
            var traceId = response.Header("X-Request-Id")!;

            // The relay publishes the post's event as our CloudEvent, with the trace context in the header and the envelope.
            var published = await sidecar.WaitForAsync(p =>
                p.Body.TryGetProperty("type", out var type) && type.GetString() == "posted"
                && JsonNode.Parse(p.Body.GetProperty("data").GetProperty("data").GetProperty("post").GetString()!)!.Id() == postId,
                TimeSpan.FromSeconds(30));
            Assert.Equal("/v1.0/publish/pubsub/websocket", published.Path);
            Assert.Equal(PublishRecorder.Token, published.Token);
            Assert.Equal("chat-api", published.Body.GetProperty("source").GetString());
            Assert.Equal(traceId, TraceIdOf(published.TraceParent));
            Assert.Equal(traceId, TraceIdOf(published.Body.GetProperty("traceparent").GetString()));

            var trace = await receiver.WaitForTraceAsync(traceId, spans =>
                spans.FirstOrDefault(s => s.Name == "outbox write posted") is { } write
                    && spans.Any(s => s.Name == "publish websocket" && s.ParentSpanId == write.SpanId),
                TimeSpan.FromSeconds(20));
            var outbox = Assert.Single(trace, s => s.Name == "outbox write posted");
            // A post's write records more than one event (posted, and the author's multiple_channels_viewed); each is
            // published in a span under that write.
            var relays = trace.Where(s => s.Name == "publish websocket" && s.ParentSpanId == outbox.SpanId).ToList();
            Assert.NotEmpty(relays);
            Assert.All(relays, relay => Assert.Equal((ExportedSpan.Producer, "dapr"), (relay.Kind, relay.Attributes.GetValueOrDefault("messaging.system"))));
        }
    }

    private static string? TraceIdOf(string? traceParent) => traceParent?.Split('-') is [_, var traceId, _, _] ? traceId : null;

    /// <summary>Records what reaches daprd's publish endpoint (POST /v1.0/publish/{pubsub}/{topic}) and answers 204 as daprd does.</summary>
    private sealed class PublishRecorder : IAsyncDisposable
    {
        public const string Token = "sidecar-token";

        private readonly HttpListener listener = new();
        private readonly List<Publish> published = [];
        private readonly Task serving;

        public PublishRecorder()
        {
            var port = FreePort.Next();
            Endpoint = $"http://127.0.0.1:{port}";
            listener.Prefixes.Add(Endpoint + "/");
            listener.Start();
            serving = Task.Run(ServeAsync);
        }

        public string Endpoint { get; }

        public sealed record Publish(string Path, string? Token, string? TraceParent, JsonElement Body);

        public async Task<Publish> WaitForAsync(Func<Publish, bool> match, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                lock (published)
                {
                    if (published.FirstOrDefault(match) is { } found)
                    {
                        return found;
                    }
                }
                await Task.Delay(100);
            }
            throw new TimeoutException($"No matching publish within {timeout}; {published.Count} received.");
        }

        private async Task ServeAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.InputStream);
                lock (published)
                {
                    published.Add(new Publish(context.Request.Url!.AbsolutePath, context.Request.Headers["dapr-api-token"], context.Request.Headers["traceparent"], body));
                }
                context.Response.StatusCode = 204;
                context.Response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            listener.Stop();
            listener.Close();
            await serving;
        }
    }
}
