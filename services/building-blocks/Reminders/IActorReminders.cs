using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Chat.BuildingBlocks.Reminders;

/// <summary>
/// Durable timers that survive node restarts, each firing handled on one node (Dapr actor reminders:
/// POST/DELETE /v1.0/actors/{type}/{id}/reminders/{name} to the sidecar; the sidecar learns the actor types from
/// GET /dapr/config and fires a reminder with PUT /actors/{type}/{id}/method/remind/{name} on the app). Used for
/// scheduled work such as job schedules. Providers: Embedded (a PostgreSQL table polled under SKIP LOCKED) and Dapr
/// (actors, with the state store component marked actorStateStore).
///
/// Delivery is at least once, in both providers: a firing whose handler throws, or whose node dies or stalls while
/// handling it, fires again. Handlers must be idempotent.
/// </summary>
public interface IActorReminders
{
    /// <summary>
    /// Creates or replaces reminder <paramref name="name"/> of actor (<paramref name="actorType"/>, <paramref name="actorId"/>):
    /// it fires after <paramref name="dueTime"/>, then every <paramref name="period"/> until unregistered (once when
    /// null). <paramref name="data"/> is handed back on every firing. Firings missed while no node handled the type
    /// are not caught up one by one: the next firing comes once, then the period resumes.
    /// </summary>
    Task RegisterAsync(string actorType, string actorId, string name, TimeSpan dueTime, TimeSpan? period = null, JsonElement? data = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the reminder; deleting an absent one succeeds.</summary>
    Task UnregisterAsync(string actorType, string actorId, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives the firings of every reminder of actors of <paramref name="actorType"/> on this node until disposed
    /// (one handler per type per process). Register before the application starts listening (the sidecar reads the
    /// actor types once). A firing whose handler throws is retried.
    /// </summary>
    IDisposable Handle(string actorType, ActorReminderHandler handler);
}

public delegate Task ActorReminderHandler(string actorId, string reminderName, JsonElement? data, CancellationToken cancellationToken);

/// <summary>The handlers of this process, by actor type.</summary>
internal sealed class ReminderHandlers
{
    private readonly ConcurrentDictionary<string, ActorReminderHandler> handlers = new(StringComparer.Ordinal);

    public ICollection<string> Types => handlers.Keys;

    public ActorReminderHandler? For(string actorType) => handlers.GetValueOrDefault(actorType);

    public IDisposable Add(string actorType, ActorReminderHandler handler)
    {
        ReminderArguments.ValidateName(actorType, nameof(actorType));
        if (!handlers.TryAdd(actorType, handler))
        {
            throw new InvalidOperationException($"This process already handles reminders of actor type '{actorType}'.");
        }
        return new Registration(() => handlers.TryRemove(new KeyValuePair<string, ActorReminderHandler>(actorType, handler)));
    }

    private sealed class Registration(Action remove) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                remove();
            }
        }
    }
}

internal static class ReminderArguments
{
    public static void Validate(string actorType, string actorId, string name)
    {
        ValidateName(actorType, nameof(actorType));
        ValidateName(actorId, nameof(actorId));
        ValidateName(name, nameof(name));
    }

    public static void ValidateName(string value, string parameter)
    {
        // They travel as URL path segments through Dapr, and "||" separates them in Dapr's actor state keys.
        if (string.IsNullOrEmpty(value) || value.Contains('/') || value.Contains("||", StringComparison.Ordinal))
        {
            throw new ArgumentException("Must be non-empty, without '/' or \"||\".", parameter);
        }
    }

    public static void ValidateTimes(TimeSpan dueTime, TimeSpan? period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        if (period is { } p && p < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(period), "A period must be at least 1 ms.");
        }
    }

    /// <summary>
    /// Go's time.ParseDuration format, as the actors API documents for dueTime and period ("0h0m3s0ms"); whole
    /// milliseconds, rounded up so nothing fires early.
    /// </summary>
    public static string GoDuration(TimeSpan duration)
    {
        var ms = (long)Math.Ceiling(duration.TotalMilliseconds);
        return string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000}h{ms / 60_000 % 60}m{ms / 1000 % 60}s{ms % 1000}ms");
    }
}
