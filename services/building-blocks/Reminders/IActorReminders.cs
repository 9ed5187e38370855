using System.Text.Json;

namespace Chat.BuildingBlocks.Reminders;

/// <summary>
/// Durable timers that survive node restarts and fire on exactly one node (Dapr actor reminders:
/// POST/DELETE /v1.0/actors/{type}/{id}/reminders/{name} to the sidecar; the sidecar learns the actor types from
/// GET /dapr/config and fires a reminder with PUT /actors/{type}/{id}/method/remind/{name} on the app). Used for
/// scheduled work such as post reminders and job schedules. Providers (Embedded: a PostgreSQL table polled under
/// SKIP LOCKED; Dapr: actors with actorStateStore) come with a later issue.
/// </summary>
public interface IActorReminders
{
    /// <summary>
    /// Creates or replaces reminder <paramref name="name"/> of actor (<paramref name="actorType"/>, <paramref name="actorId"/>):
    /// it fires after <paramref name="dueTime"/>, then every <paramref name="period"/> until unregistered (once when
    /// null). <paramref name="data"/> is handed back on every firing.
    /// </summary>
    Task RegisterAsync(string actorType, string actorId, string name, TimeSpan dueTime, TimeSpan? period = null, JsonElement? data = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the reminder; deleting an absent one succeeds.</summary>
    Task UnregisterAsync(string actorType, string actorId, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives the firings of every reminder of actors of <paramref name="actorType"/> on this node until disposed.
    /// Register before the application starts listening (the sidecar reads the actor types once). A firing whose
    /// handler throws is retried.
    /// </summary>
    IDisposable Handle(string actorType, ActorReminderHandler handler);
}

public delegate Task ActorReminderHandler(string actorId, string reminderName, JsonElement? data, CancellationToken cancellationToken);
