using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.BuildingBlocks.Dapr;

namespace Chat.BuildingBlocks.Reminders.Dapr;

/// <summary>
/// Reminders through the sidecar's actors API (https://docs.dapr.io/reference/api/actors_api/):
/// POST /v1.0/actors/{type}/{id}/reminders/{name} with {"dueTime", "period", "data"} (Go durations such as
/// "0h0m3s0ms"; an empty period fires once) and DELETE to remove it, both 204. The sidecar learns our actor types
/// from GET /dapr/config and delivers each firing to one instance through
/// PUT /actors/{type}/{id}/method/remind/{name} (<see cref="DaprActorEndpoints"/>); a non-2xx answer makes it retry.
/// </summary>
public sealed class DaprActorReminders(DaprSidecarClient sidecar) : IActorReminders
{
    internal ReminderHandlers Handlers { get; } = new();

    public async Task RegisterAsync(string actorType, string actorId, string name, TimeSpan dueTime, TimeSpan? period = null, JsonElement? data = null, CancellationToken cancellationToken = default)
    {
        ReminderArguments.Validate(actorType, actorId, name);
        ReminderArguments.ValidateTimes(dueTime, period);
        var body = new ReminderRequest(ReminderArguments.GoDuration(dueTime), period is { } p ? ReminderArguments.GoDuration(p) : "", data);
        using var response = await sidecar.SendAsync(HttpMethod.Post, Path(actorType, actorId, name), body, null, cancellationToken);
        await DaprSidecarClient.EnsureAsync(response, cancellationToken, HttpStatusCode.NoContent, HttpStatusCode.OK);
    }

    public async Task UnregisterAsync(string actorType, string actorId, string name, CancellationToken cancellationToken = default)
    {
        ReminderArguments.Validate(actorType, actorId, name);
        using var response = await sidecar.SendAsync(HttpMethod.Delete, Path(actorType, actorId, name), null, null, cancellationToken);
        await DaprSidecarClient.EnsureAsync(response, cancellationToken, HttpStatusCode.NoContent, HttpStatusCode.OK);
    }

    public IDisposable Handle(string actorType, ActorReminderHandler handler) => Handlers.Add(actorType, handler);

    private static string Path(string actorType, string actorId, string name) =>
        $"v1.0/actors/{DaprPath.Segment(actorType)}/{DaprPath.Segment(actorId)}/reminders/{DaprPath.Segment(name)}";

    private sealed record ReminderRequest(
        [property: JsonPropertyName("dueTime")] string DueTime,
        [property: JsonPropertyName("period")] string Period,
        [property: JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Data);
}
