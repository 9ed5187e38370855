using Chat.Store.Model;

namespace Chat.UnitTests;

/// <summary>
/// How a status changes (Mattermost's platform/status.go): what the server observes never overrides a status the
/// user chose, online is never manual, and a timed DND returns to what it replaced.
/// </summary>
public sealed class StatusRulesTests
{
    private const long Now = 1_800_000_000_000;
    private const long AwayTimeoutMs = 300_000;

    private static UserStatus Status(string status, bool manual = false, long lastActivityAt = Now - 1000, long dndEndTime = 0, string prev = "") =>
        new() { UserId = "user1", Status = status, Manual = manual, LastActivityAt = lastActivityAt, DndEndTime = dndEndTime, PrevStatus = prev };

    [Theory]
    [InlineData(UserStatus.Offline)]
    [InlineData(UserStatus.Away)]
    [InlineData(UserStatus.Online)]
    public void Activity_makes_a_user_online_and_records_when(string before)
    {
        var after = Status(before).Active(Now);
        Assert.Equal(UserStatus.Online, after.Status);
        Assert.False(after.Manual);
        Assert.Equal(Now, after.LastActivityAt);
    }

    [Theory]
    [InlineData(UserStatus.Dnd)]
    [InlineData(UserStatus.Away)]
    [InlineData(UserStatus.Offline)]
    public void Activity_never_overrides_a_chosen_status_but_is_recorded(string chosen)
    {
        var after = Status(chosen, manual: true).Active(Now);
        Assert.Equal(chosen, after.Status);
        Assert.True(after.Manual);
        Assert.Equal(Now, after.LastActivityAt);
    }

    [Theory]
    [InlineData(UserStatus.Online)]
    [InlineData(UserStatus.Away)]
    public void The_last_socket_closing_makes_a_user_offline(string before)
    {
        var after = Status(before).Disconnected(Now);
        Assert.Equal(UserStatus.Offline, after.Status);
        Assert.False(after.Manual);
        Assert.Equal(Now, after.LastActivityAt);
    }

    [Theory]
    [InlineData(UserStatus.Dnd)]
    [InlineData(UserStatus.Away)]
    public void A_chosen_status_survives_the_last_socket_closing(string chosen)
    {
        var before = Status(chosen, manual: true);
        Assert.Equal(before, before.Disconnected(Now));
    }

    [Fact]
    public void An_offline_user_stays_as_recorded_when_a_socket_closes()
    {
        var before = Status(UserStatus.Offline, lastActivityAt: 5);
        Assert.Equal(before, before.Disconnected(Now));
    }

    [Fact]
    public void An_online_user_is_away_once_idle_for_the_timeout_and_not_before()
    {
        Assert.Equal(UserStatus.Online, Status(UserStatus.Online, lastActivityAt: Now - AwayTimeoutMs + 1).Idle(Now, AwayTimeoutMs).Status);
        var away = Status(UserStatus.Online, lastActivityAt: Now - AwayTimeoutMs).Idle(Now, AwayTimeoutMs);
        Assert.Equal(UserStatus.Away, away.Status);
        Assert.False(away.Manual);
        Assert.Equal(Now - AwayTimeoutMs, away.LastActivityAt);
    }

    [Theory]
    [InlineData(UserStatus.Dnd, true)]
    [InlineData(UserStatus.Offline, false)]
    [InlineData(UserStatus.Away, true)]
    public void Idleness_changes_only_an_online_status_the_server_set(string status, bool manual)
    {
        var before = Status(status, manual, lastActivityAt: 0);
        Assert.Equal(before, before.Idle(Now, AwayTimeoutMs));
    }

    [Fact]
    public void Choosing_online_clears_manual_and_a_timed_dnd()
    {
        var after = Status(UserStatus.Dnd, manual: true, dndEndTime: Now / 1000 + 600, prev: UserStatus.Away).Chosen(UserStatus.Online, 0, Now);
        Assert.Equal(UserStatus.Online, after.Status);
        Assert.False(after.Manual);
        Assert.Equal(Now, after.LastActivityAt);
        Assert.Equal(0, after.DndEndTime);
    }

    [Theory]
    [InlineData(UserStatus.Away)]
    [InlineData(UserStatus.Offline)]
    [InlineData(UserStatus.Dnd)]
    public void Choosing_away_offline_or_dnd_is_manual(string chosen)
    {
        var after = Status(UserStatus.Online).Chosen(chosen, 0, Now);
        Assert.Equal(chosen, after.Status);
        Assert.True(after.Manual);
        Assert.Equal(0, after.DndEndTime);
    }

    [Fact]
    public void A_dnd_with_an_end_in_the_future_is_timed_to_the_minute_and_remembers_the_status_it_replaced()
    {
        var end = Now / 1000 + 3600 + 42;
        var after = Status(UserStatus.Away).Chosen(UserStatus.Dnd, end, Now);
        Assert.Equal(UserStatus.Dnd, after.Status);
        Assert.True(after.Manual);
        Assert.Equal(end - 42, after.DndEndTime);
        Assert.Equal(0, after.DndEndTime % 60);
        Assert.Equal(UserStatus.Away, after.PrevStatus);

        // A new end for the DND keeps what the first one replaced.
        Assert.Equal(UserStatus.Away, after.Chosen(UserStatus.Dnd, end + 3600, Now).PrevStatus);
    }

    [Fact]
    public void A_dnd_with_an_end_in_the_past_is_not_timed()
    {
        var after = Status(UserStatus.Online).Chosen(UserStatus.Dnd, Now / 1000 - 1, Now);
        Assert.Equal(UserStatus.Dnd, after.Status);
        Assert.Equal(0, after.DndEndTime);
    }

    [Theory]
    [InlineData(UserStatus.Online, true, UserStatus.Online)]
    [InlineData(UserStatus.Away, true, UserStatus.Away)]
    [InlineData(UserStatus.Online, false, UserStatus.Offline)]
    [InlineData("", true, UserStatus.Online)]
    public void A_timed_dnd_that_ended_returns_to_what_it_replaced_unless_no_socket_is_left(string prev, bool connected, string expected)
    {
        var after = Status(UserStatus.Dnd, manual: true, dndEndTime: Now / 1000, prev: prev).DndEnded(Now, connected);
        Assert.Equal(expected, after.Status);
        Assert.False(after.Manual);
        Assert.Equal(0, after.DndEndTime);
        Assert.Equal(UserStatus.Dnd, after.PrevStatus);
    }

    [Fact]
    public void A_timed_dnd_lasts_until_its_end_and_an_untimed_one_until_changed()
    {
        var timed = Status(UserStatus.Dnd, manual: true, dndEndTime: Now / 1000 + 1, prev: UserStatus.Online);
        Assert.Equal(timed, timed.DndEnded(Now, connected: true));
        var untimed = Status(UserStatus.Dnd, manual: true);
        Assert.Equal(untimed, untimed.DndEnded(Now, connected: true));
    }

    [Theory]
    [InlineData(300, 30)]
    [InlineData(20, 10)]
    [InlineData(1, 0.5)]
    public void Activity_is_written_well_inside_the_away_timeout(int awayTimeoutSeconds, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), UserStatus.ActivityWriteInterval(awayTimeoutSeconds));

    [Theory]
    [InlineData("online", true)]
    [InlineData("away", true)]
    [InlineData("offline", true)]
    [InlineData("dnd", true)]
    [InlineData("Online", false)]
    [InlineData("out_of_office", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_the_four_statuses_are_valid(string? status, bool valid) => Assert.Equal(valid, UserStatus.IsValidStatus(status));
}
