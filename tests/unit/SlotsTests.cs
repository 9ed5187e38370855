using Chat.Jobs;
using Chat.Jobs.Scheduling;

namespace Chat.UnitTests;

/// <summary>Schedule slots: periods, daily times in a zone (DST gaps included), catch-up after an outage.</summary>
public sealed class SlotsTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;

    /// <summary>Central European time with its rules, built here so the test needs no time zone database.</summary>
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.CreateCustomTimeZone("Test/Berlin", TimeSpan.FromHours(1), "Berlin", "CET", "CEST",
    [
        TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(DateTime.MinValue.Date, DateTime.MaxValue.Date, TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday)),
    ]);

    private static long Ms(string utc) => DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    [Fact]
    public void Period_slots_after_the_last_one_up_to_now_oldest_first()
    {
        var every2s = JobSchedule.Every(TimeSpan.FromSeconds(2));
        Assert.Equal([2000L, 4000, 6000], Slots.Due(every2s, afterMs: 1000, nowMs: 7500, Utc));
        Assert.Empty(Slots.Due(every2s, afterMs: 6000, nowMs: 7999, Utc));
        Assert.Equal([8000L], Slots.Due(every2s, afterMs: 6000, nowMs: 8000, Utc));
    }

    [Fact]
    public void After_a_long_outage_only_the_latest_slots_are_caught_up()
    {
        var due = Slots.Due(JobSchedule.Every(TimeSpan.FromSeconds(1)), afterMs: 0, nowMs: 100_500, Utc);
        Assert.Equal(Slots.MaxCatchUp, due.Count);
        Assert.Equal(100_000, due[^1]);
        Assert.Equal(91_000, due[0]);
    }

    [Fact]
    public void Daily_slots_fall_at_the_time_of_day_in_the_zone()
    {
        var at2 = JobSchedule.Daily("02:00");
        Assert.Equal([Ms("2026-01-11T02:00Z"), Ms("2026-01-12T02:00Z")], Slots.Due(at2, Ms("2026-01-10T03:00Z"), Ms("2026-01-12T02:00Z"), Utc));
        Assert.Empty(Slots.Due(at2, Ms("2026-01-12T02:00Z"), Ms("2026-01-13T01:59Z"), Utc));
        // 02:00 in Berlin: 01:00 UTC in winter, 00:00 UTC in summer.
        Assert.Equal(Ms("2026-01-12T01:00Z"), Slots.Current(at2, Ms("2026-01-12T12:00Z"), Berlin));
        Assert.Equal(Ms("2026-07-12T00:00Z"), Slots.Current(at2, Ms("2026-07-12T12:00Z"), Berlin));
    }

    [Fact]
    public void A_daily_time_skipped_by_the_change_to_summer_time_runs_an_hour_later()
    {
        // 2026-03-29: Berlin's clocks jump from 02:00 to 03:00, so 02:30 does not exist that day; 03:30 CEST is 01:30 UTC.
        var at0230 = JobSchedule.Daily("02:30");
        Assert.Equal(
            [Ms("2026-03-28T01:30Z"), Ms("2026-03-29T01:30Z"), Ms("2026-03-30T00:30Z")],
            Slots.Due(at0230, Ms("2026-03-27T12:00Z"), Ms("2026-03-30T12:00Z"), Berlin));
    }
}
