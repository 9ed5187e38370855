using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.BuildingBlocks.Dapr;
using Chat.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.BuildingBlocks.Reminders.Dapr;

/// <summary>
/// The app side of Dapr actors, as far as reminders need it (https://docs.dapr.io/reference/api/actors_api/,
/// "Dapr calling to user service code"): GET /dapr/config lists the actor types this process handles; PUT
/// /actors/{type}/{id}/method/remind/{name} runs the handler (200; 500 when it threw, so the sidecar retries; 404
/// for a type this process does not handle); DELETE /actors/{type}/{id} deactivates an actor, which holds no state
/// here (200; 400 for an unknown type). With APP_API_TOKEN set, calls without the matching dapr-api-token get 401.
/// </summary>
public static partial class DaprActorEndpoints
{
    public static IEndpointRouteBuilder MapDaprActors(this IEndpointRouteBuilder app)
    {
        var reminders = app.ServiceProvider.GetRequiredService<DaprActorReminders>();
        var options = app.ServiceProvider.GetRequiredService<BuildingBlocksOptions>();
        var filter = DaprAppToken.Filter(options.Dapr.AppApiToken);

        app.MapGet("/dapr/config", () => TypedResults.Json(new ActorConfig(
            [.. reminders.Handlers.Types.Order(StringComparer.Ordinal)],
            ReminderArguments.GoDuration(options.Reminders.ActorIdleTimeout),
            ReminderArguments.GoDuration(options.Reminders.DrainOngoingCallTimeout),
            true))).AddEndpointFilter(filter);

        var actors = app.MapGroup("/actors/{actorType}/{actorId}").AddEndpointFilter(filter);
        actors.MapPut("/method/remind/{reminderName}", async (string actorType, string actorId, string reminderName, HttpContext context, ILoggerFactory loggers) =>
        {
            if (reminders.Handlers.For(actorType) is not { } handler)
            {
                return AppError(StatusCodes.Status404NotFound, "api.dapr.actor_type.app_error", $"This process does not host actor type '{actorType}'.");
            }
            JsonElement? data = null;
            if (context.Request.ContentLength is not 0)
            {
                try
                {
                    var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: context.RequestAborted);
                    // {"data": ..., "dueTime": ..., "period": ...}: only data is ours; the times are the sidecar's.
                    if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("data", out var value) && value.ValueKind != JsonValueKind.Null)
                    {
                        data = value.Clone();
                    }
                }
                catch (JsonException)
                {
                    return AppError(StatusCodes.Status400BadRequest, "api.dapr.reminder_body.app_error", "The reminder body is not JSON.");
                }
            }
            try
            {
                await handler(actorId, reminderName, data, context.RequestAborted);
                return Results.Ok();
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
            {
                LogFailed(loggers.CreateLogger(typeof(DaprActorEndpoints).FullName!), e, actorType, actorId, reminderName);
                return AppError(StatusCodes.Status500InternalServerError, "api.dapr.reminder_failed.app_error", "The reminder's handler failed; retry.");
            }
        });
        actors.MapDelete("", (string actorType, string actorId) => reminders.Handlers.For(actorType) is null
            ? AppError(StatusCodes.Status400BadRequest, "api.dapr.actor_type.app_error", $"This process does not host actor type '{actorType}'.")
            : Results.Ok());
        return app;
    }

    private static IResult AppError(int status, string id, string message) => new AppErrorResult(status, id, message);

    /// <summary>The /dapr/config answer; field names as documented.</summary>
    private sealed record ActorConfig(
        [property: JsonPropertyName("entities")] string[] Entities,
        [property: JsonPropertyName("actorIdleTimeout")] string ActorIdleTimeout,
        [property: JsonPropertyName("drainOngoingCallTimeout")] string DrainOngoingCallTimeout,
        [property: JsonPropertyName("drainRebalancedActors")] bool DrainRebalancedActors);

    private sealed class AppErrorResult(int status, string id, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => ErrorHandlingMiddleware.WriteAsync(httpContext, status, id, message, "");
    }

    [LoggerMessage(LogLevel.Warning, "Reminder {ActorType}/{ActorId}/{Name} failed; the sidecar retries it")]
    private static partial void LogFailed(ILogger logger, Exception e, string actorType, string actorId, string name);
}
