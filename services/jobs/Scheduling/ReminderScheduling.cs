using System.Text.Json;
using Chat.BuildingBlocks.Locks;
using Chat.BuildingBlocks.Reminders;
using Chat.ServiceDefaults;

namespace Chat.Jobs.Scheduling;

/// <summary>
/// Scheduling under the Dapr provider: no election. Each recurring job type is an actor (type
/// <see cref="ActorType"/>, id = the job type) with one reminder, registered through <see cref="IActorReminders"/>
/// (the sidecar's /v1.0/actors/{type}/{id}/reminders/{name}); whichever node Dapr places the actor on handles the
/// firing. A firing takes the distributed lock of its type (/v1.0-alpha1/lock) so concurrent firings on two nodes
/// do not both work, then creates the jobs of the due slots. Reminders are at least once and a lock can expire
/// mid-way, so the last line of defence is the slot's unique key: a slot fired twice still gets one job.
/// </summary>
public sealed partial class ReminderScheduling(
    IActorReminders reminders, IDistributedLock locks, JobTypeRegistry registry, SlotScheduler scheduler, NodeInfo node, ILogger<ReminderScheduling> logger)
    : IHostedService, IDisposable
{
    public const string ActorType = "job_schedule";
    public const string ReminderName = "slots";

    /// <summary>Daily types are checked this often; their slot is created once the time has passed.</summary>
    private static readonly TimeSpan DailyCheck = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LockExpiry = TimeSpan.FromSeconds(60);

    private IDisposable? handler;

    /// <summary>Call before the app listens: the sidecar reads the hosted actor types once (GET /dapr/config).</summary>
    public void HandleReminders() => handler ??= reminders.Handle(ActorType, OnReminderAsync);

    /// <summary>Registers (or replaces) each scheduled type's reminder and removes those of types no longer scheduled.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var type in registry.Types)
        {
            if (registry.ScheduleOf(type) is { } schedule)
            {
                var period = schedule.Period is { } p && p < DailyCheck ? p : DailyCheck;
                await reminders.RegisterAsync(ActorType, type.Name, ReminderName, TimeSpan.Zero, period, cancellationToken: cancellationToken);
                LogRegistered(type.Name, period.TotalSeconds);
            }
            else
            {
                await reminders.UnregisterAsync(ActorType, type.Name, ReminderName, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task OnReminderAsync(string actorId, string reminderName, JsonElement? data, CancellationToken cancellationToken)
    {
        if (registry.Find(actorId) is not { } type)
        {
            LogUnknownType(actorId);
            return;
        }
        var resource = $"job-schedule-{type.Name}";
        var owner = $"{node.NodeId}-{Guid.NewGuid():N}";
        if (!await locks.TryLockAsync(resource, owner, LockExpiry, cancellationToken))
        {
            // Another node is scheduling this type right now; its transaction covers the same slots.
            return;
        }
        try
        {
            await scheduler.ScheduleDueAsync(type, (_, _) => Task.FromResult(true), cancellationToken);
        }
        finally
        {
            await locks.UnlockAsync(resource, owner, CancellationToken.None);
        }
    }

    public void Dispose() => handler?.Dispose();

    [LoggerMessage(LogLevel.Information, "Job schedule reminder for {Type} registered (every {Seconds} s)")]
    private partial void LogRegistered(string type, double seconds);

    [LoggerMessage(LogLevel.Warning, "A job schedule reminder fired for unknown job type {Type}; ignored")]
    private partial void LogUnknownType(string type);
}
