using System.Text.Json;
using Chat.BuildingBlocks.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.BuildingBlocks.PubSub.Dapr;

/// <summary>
/// The app side of Dapr pub/sub: <c>GET /dapr/subscribe</c> (programmatic subscription) and one delivery route per
/// topic, <c>POST /dapr/events/{topic}</c>. Replies follow the documented contract: 200 with
/// <c>{"status":"SUCCESS"}</c> when handled (or already handled: a duplicate id; or older than this process, see
/// <see cref="DaprEventBus.PredatesThisProcess"/>), <c>RETRY</c> when a handler
/// failed, <c>DROP</c> when the request can never succeed (not a CloudEvent, no handler for the topic). When
/// APP_API_TOKEN is set, calls without the matching dapr-api-token header get 401 (and the sidecar retries them).
/// </summary>
public static partial class DaprSubscriptionEndpoints
{
    public const string EventsRoute = "/dapr/events";

    public static IEndpointRouteBuilder MapDaprPubSub(this IEndpointRouteBuilder app)
    {
        var bus = app.ServiceProvider.GetRequiredService<DaprEventBus>();
        var dapr = app.MapGroup("/dapr").AddEndpointFilter(DaprAppToken.Filter(bus.SidecarOptions.AppApiToken));

        dapr.MapGet("/subscribe", () => TypedResults.Json(
            bus.Subscriptions.Topics.Order(StringComparer.Ordinal).Select(topic => new Subscription(bus.PubSubName, topic, $"{EventsRoute}/{topic}")),
            JsonSerializerOptions.Web));

        dapr.MapPost("/events/{topic}", async (string topic, HttpContext context, ILoggerFactory loggers) =>
            await DeliverAsync(bus, topic, context, loggers.CreateLogger(typeof(DaprSubscriptionEndpoints).FullName!)));
        return app;
    }

    private static async Task<IResult> DeliverAsync(DaprEventBus bus, string topic, HttpContext context, ILogger logger)
    {
        var handlers = bus.Subscriptions.HandlersFor(topic);
        if (handlers.IsEmpty)
        {
            LogDropped(logger, topic, "?", "nothing here subscribes to the topic");
            return Reply(Drop);
        }
        JsonElement envelope;
        try
        {
            envelope = (await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: context.RequestAborted));
        }
        catch (JsonException e)
        {
            LogDropped(logger, topic, "?", e.Message);
            return Reply(Drop);
        }
        if (!CloudEvents.TryParse(envelope, topic, context.Request.Headers["traceparent"].FirstOrDefault(), out var clusterEvent, out var problem))
        {
            LogDropped(logger, topic, envelope.ValueKind == JsonValueKind.Object && envelope.TryGetProperty("id", out var id) ? id.ToString() : "?", problem);
            return Reply(Drop);
        }
        if (bus.PredatesThisProcess(clusterEvent))
        {
            LogPredates(logger, clusterEvent.Id, topic);
            return Reply(Success);
        }
        using var activity = PubSubTelemetry.StartConsume(clusterEvent);
        try
        {
            await bus.Deduplicator.RunOnceAsync(clusterEvent.Id, async () =>
            {
                foreach (var handler in handlers)
                {
                    await handler(clusterEvent, context.RequestAborted);
                }
            });
            return Reply(Success);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogRetry(logger, e, clusterEvent.Id, topic);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            return Reply(Retry);
        }
    }

    private static readonly Status Success = new("SUCCESS");
    private static readonly Status Retry = new("RETRY");
    private static readonly Status Drop = new("DROP");

    private static IResult Reply(Status status) => TypedResults.Json(status, JsonSerializerOptions.Web);

    /// <summary>One entry of the /dapr/subscribe answer; Dapr's field names are all lower case.</summary>
    private sealed record Subscription(
        [property: System.Text.Json.Serialization.JsonPropertyName("pubsubname")] string PubSubName,
        [property: System.Text.Json.Serialization.JsonPropertyName("topic")] string Topic,
        [property: System.Text.Json.Serialization.JsonPropertyName("route")] string Route);

    private sealed record Status([property: System.Text.Json.Serialization.JsonPropertyName("status")] string Value);

    [LoggerMessage(LogLevel.Warning, "Dropped a delivery on {Topic} (event {Id}): {Problem}")]
    private static partial void LogDropped(ILogger logger, string topic, string id, string problem);

    [LoggerMessage(LogLevel.Debug, "Acknowledged event {Id} on {Topic} unhandled: it was published before this process started")]
    private static partial void LogPredates(ILogger logger, string id, string topic);

    [LoggerMessage(LogLevel.Warning, "Handling event {Id} on {Topic} failed; asking the sidecar to retry")]
    private static partial void LogRetry(ILogger logger, Exception e, string id, string topic);
}
