using System.Collections.Concurrent;
using System.Text.Json;
using Chat.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// A stand-in for the Dapr sidecar (none can run here): a real Kestrel server on a loopback port serving the
/// documented publish endpoint, POST /v1.0/publish/{pubsubname}/{topic}. Like the real sidecar with
/// DAPR_API_TOKEN set, it refuses calls without the token (401); it refuses an application/cloudevents+json body
/// that lacks a required CloudEvent attribute (400), and answers 204 otherwise, recording each request.
/// The state, lock and actor-reminder endpoints are in StandInSidecar.Blocks.cs.
/// </summary>
internal sealed partial class StandInSidecar : IAsyncDisposable
{
    private readonly WebApplication app;
    private int failures;

    private StandInSidecar(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    public Uri Url { get; }

    public ConcurrentQueue<Publish> Published { get; } = new();

    /// <summary>The next this-many publishes fail with 500 (the broker is unavailable).</summary>
    public int FailNext
    {
        set => Volatile.Write(ref failures, value);
    }

    public sealed record Publish(string PubSubName, string Topic, IReadOnlyDictionary<string, string> Query, string? ContentType, string? Token, string? TraceParent, JsonElement Body);

    public static async Task<StandInSidecar> StartAsync(string apiToken)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sidecar = new StandInSidecar(app, new Uri($"http://127.0.0.1:{port}"));
        app.MapPost("/v1.0/publish/{pubsubname}/{topic}", async (string pubsubname, string topic, HttpContext context) =>
        {
            var token = context.Request.Headers["dapr-api-token"].FirstOrDefault();
            if (token != apiToken)
            {
                return Results.Json(new { errorCode = "ERR_UNAUTHORIZED", message = "invalid api token" }, statusCode: 401);
            }
            JsonElement body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            }
            catch (JsonException)
            {
                return Results.Json(new { errorCode = "ERR_PUBSUB_CLOUD_EVENTS_SER", message = "not JSON" }, statusCode: 400);
            }
            if (context.Request.ContentType == "application/cloudevents+json"
                && new[] { "id", "source", "type", "specversion" }.Any(a => !body.TryGetProperty(a, out var v) || v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 }))
            {
                return Results.Json(new { errorCode = "ERR_PUBSUB_CLOUD_EVENTS_SER", message = "missing a required attribute" }, statusCode: 400);
            }
            if (Interlocked.Decrement(ref sidecar.failures) >= 0)
            {
                return Results.Json(new { errorCode = "ERR_PUBSUB_PUBLISH_MESSAGE", message = "broker unavailable" }, statusCode: 500);
            }
            sidecar.Published.Enqueue(new Publish(
                pubsubname, topic,
                context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
                context.Request.ContentType, token, context.Request.Headers["traceparent"].FirstOrDefault(), body));
            return Results.NoContent();
        });
        sidecar.MapBuildingBlocks(app, apiToken);
        await app.StartAsync();
        return sidecar;
    }

    public async Task WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Published.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The sidecar received {Published.Count} of {count} publishes.");
            }
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
