namespace Chat.Jobs.Scheduling;

/// <summary>
/// Schedule slots: the instants (epoch ms) a recurring type is due at. Each slot gets exactly one job (its start is
/// the job's unique schedule_slot), so any node may compute them, by the database clock, any number of times.
/// </summary>
public static class Slots
{
    /// <summary>After an outage, at most this many missed slots are caught up; older ones are dropped.</summary>
    public const int MaxCatchUp = 10;

    /// <summary>The latest slot at or before <paramref name="nowMs"/>.</summary>
    public static long Current(JobSchedule schedule, long nowMs, TimeZoneInfo zone)
    {
        if (schedule.Period is { } period)
        {
            var p = (long)period.TotalMilliseconds;
            return nowMs / p * p;
        }
        var at = schedule.DailyAt ?? throw new ArgumentException("A schedule has a period or a daily time.", nameof(schedule));
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(nowMs), zone);
        var today = Daily(DateOnly.FromDateTime(now.DateTime), at, zone);
        return today <= nowMs ? today : Daily(DateOnly.FromDateTime(now.DateTime).AddDays(-1), at, zone);
    }

    /// <summary>
    /// The slots due that have no job yet: those after <paramref name="afterMs"/> (the last slot that has a job, or
    /// when the type was first scheduled) up to the current one, oldest first, at most <see cref="MaxCatchUp"/>.
    /// </summary>
    public static IReadOnlyList<long> Due(JobSchedule schedule, long afterMs, long nowMs, TimeZoneInfo zone)
    {
        var due = new List<long>();
        for (var slot = Current(schedule, nowMs, zone); slot > afterMs && due.Count < MaxCatchUp; slot = Previous(schedule, slot, zone))
        {
            due.Add(slot);
        }
        due.Reverse();
        return due;
    }

    private static long Previous(JobSchedule schedule, long slotMs, TimeZoneInfo zone) =>
        schedule.Period is { } period ? slotMs - (long)period.TotalMilliseconds : Current(schedule, slotMs - 1, zone);

    private static long Daily(DateOnly date, TimeOnly at, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(at, DateTimeKind.Unspecified);
        // A time skipped by a DST change runs an hour later rather than not at all.
        if (zone.IsInvalidTime(local))
        {
            local = local.AddHours(1);
        }
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUnixTimeMilliseconds();
    }
}
