using Chat.Jobs.Core;
using Dapper;
using Npgsql;

namespace Chat.Jobs.Scheduling;

/// <summary>
/// Creates the jobs of a recurring type's due slots, in one transaction that first passes the caller's fence (the
/// embedded leader's epoch check; nothing for reminders, whose duplicates the unique slot absorbs).
/// </summary>
public sealed partial class SlotScheduler(NpgsqlDataSource db, JobStore jobs, JobTypeRegistry registry, ILogger<SlotScheduler> logger)
{
    /// <summary>False from the fence: this node may not schedule (it lost leadership); nothing was written.</summary>
    public delegate Task<bool> Fence(NpgsqlTransaction transaction, CancellationToken cancellationToken);

    /// <returns>How many jobs were created, or null when the fence refused.</returns>
    public async Task<int?> ScheduleDueAsync(JobType type, Fence fence, CancellationToken cancellationToken)
    {
        if (registry.ScheduleOf(type) is not { } schedule)
        {
            return 0;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (!await fence(tx, cancellationToken))
        {
            return null;
        }
        var now = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (extract(epoch FROM now()) * 1000)::bigint", transaction: tx, cancellationToken: cancellationToken));
        var last = await jobs.LastSlotAsync(tx, type.Name, cancellationToken) ?? await jobs.ScheduledSinceAsync(tx, type.Name, now, cancellationToken);
        var due = Slots.Due(schedule, last, now, TimeZoneInfo.Local);
        IReadOnlyList<Job> created = due.Count == 0 ? [] : await jobs.CreateScheduledAsync(tx, type.Name, due, cancellationToken);
        // Also with nothing due: a type's first scheduling records its since_ms, which later ticks count from.
        await tx.CommitAsync(cancellationToken);
        foreach (var job in created)
        {
            LogScheduled(type.Name, job.Id, job.Data.GetValueOrDefault("schedule_slot", ""));
        }
        return created.Count;
    }

    [LoggerMessage(LogLevel.Information, "Scheduled {Type} job {JobId} for slot {Slot}")]
    private partial void LogScheduled(string type, string jobId, string slot);
}
