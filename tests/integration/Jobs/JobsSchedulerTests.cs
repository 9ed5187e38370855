using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// The embedded scheduler's leader election with three jobs nodes: the lowest node id leads and shows is_leader;
/// after a SIGKILL of the leader one new leader takes over within 5 s, and every schedule slot gets exactly one
/// job, none skipped, across the change.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JobsSchedulerTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private const int SlotSeconds = 2;
    private static readonly TimeSpan TakeoverWithin = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task SIGKILL_of_the_leader_mid_slot_yields_one_new_leader_within_5_s_and_exactly_one_job_per_slot()
    {
        await using var jobs = await JobsCluster.StartAsync(cluster, "jobs_failover", jobsNodes: 3, new()
        {
            ["MM_MESSAGEEXPORTSETTINGS_ENABLEEXPORT"] = "true",
            ["MM_JOBSETTINGS_SCHEDULEINTERVALSECONDS"] = SlotSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var (first, second, third) = (jobs.Jobs[0], jobs.Jobs[1], jobs.Jobs[2]);

        // The oldest node (lowest id) leads; the others do not.
        await WaitForLeaderAsync(jobs, first.Name, TimeSpan.FromSeconds(10));
        var status = await StatusAsync(jobs);
        var ids = status.Where(n => (string)n["service"]! == "jobs").OrderBy(n => (string)n["id"]!, StringComparer.Ordinal).Select(n => (string)n["hostname"]!).ToList();
        Assert.Equal([first.Name, second.Name, third.Name], ids);

        // A couple of slots under the first leader, then the kill half-way through a slot.
        await WaitForSlotsAsync(jobs, 2);
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var intoSlot = nowMs % (SlotSeconds * 1000);
        await Task.Delay(TimeSpan.FromMilliseconds((SlotSeconds * 1000 / 2 - intoSlot + SlotSeconds * 1000) % (SlotSeconds * 1000)));
        var epochBefore = await jobs.ScalarAsync<long>("SELECT epoch FROM job_leader");
        var killed = Stopwatch.StartNew();
        first.Kill();
        var takeover = await WaitForLeaderAsync(jobs, second.Name, TakeoverWithin + TimeSpan.FromSeconds(5));
        killed.Stop();
        output.WriteLine($"scheduler leader failover: {takeover.TotalSeconds:F2} s from SIGKILL to the new leader in cluster status (leader timeout 2 s)");
        Assert.True(takeover < TakeoverWithin, $"the new leader took {takeover.TotalSeconds:F2} s\n{jobs.Logs()}");

        // Several slots under the new leader.
        var slotsAtKill = await SlotsAsync(jobs);
        await WaitForSlotsAsync(jobs, slotsAtKill.Count + 3);

        // One takeover: the epoch rose by one, and only the second node ever logged that it leads (besides the first).
        Assert.Equal(epochBefore + 1, await jobs.ScalarAsync<long>("SELECT epoch FROM job_leader"));
        Assert.Contains("this node: True", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("this node: True", third.Output, StringComparison.Ordinal);
        var leaders = (await StatusAsync(jobs)).Where(n => (bool)n["is_leader"]!).Select(n => (string)n["hostname"]!).ToList();
        Assert.Equal([second.Name], leaders);

        // Every slot from the first to the last has exactly one job: none twice (unique), none skipped.
        var slots = await SlotsAsync(jobs);
        output.WriteLine($"slots scheduled: {slots.Count}, across the failover");
        Assert.Equal(slots.Count, slots.Distinct().Count());
        for (var i = 1; i < slots.Count; i++)
        {
            Assert.True(slots[i] - slots[i - 1] == SlotSeconds * 1000, $"slot gap between {slots[i - 1]} and {slots[i]}: [{string.Join(", ", slots)}]\n{jobs.Logs()}");
        }
        // The jobs ran: the export jobs of past slots all finished (on the surviving nodes as well).
        await jobs.WaitForJobAsync((await jobs.ColumnAsync<string>("SELECT id FROM jobs ORDER BY schedule_slot LIMIT 1"))[0], j => (string)j["status"]! == "success");
    }

    /// <summary>Waits until cluster status shows <paramref name="hostname"/> as the only leader; returns how long that took.</summary>
    private async Task<TimeSpan> WaitForLeaderAsync(JobsCluster jobs, string hostname, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var leaders = (await StatusAsync(jobs)).Where(n => (bool)n["is_leader"]!).Select(n => (string)n["hostname"]!).ToList();
            if (leaders.SequenceEqual([hostname]))
            {
                return clock.Elapsed;
            }
            // Never two at once: a takeover moves is_leader in the transaction that raises the epoch.
            Assert.True(leaders.Count <= 1, $"two leaders at once: {string.Join(", ", leaders)}\n{jobs.Logs()}");
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"{hostname} did not become the only leader within {timeout} (leaders: {string.Join(", ", leaders)})\n{jobs.Logs()}");
            }
            await Task.Delay(50);
        }
    }

    private static async Task<List<JsonNode>> StatusAsync(JobsCluster jobs) =>
        [.. (await jobs.Admin.GetAsync("/api/v4/cluster/status")).Expect(200).Json.AsArray().Select(n => n!)];

    private static Task<List<long>> SlotsAsync(JobsCluster jobs) =>
        jobs.ColumnAsync<long>("SELECT schedule_slot FROM jobs WHERE type = 'message_export' AND schedule_slot IS NOT NULL ORDER BY schedule_slot");

    private static async Task WaitForSlotsAsync(JobsCluster jobs, int count)
    {
        var clock = Stopwatch.StartNew();
        while ((await SlotsAsync(jobs)).Count < count)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(SlotSeconds * (count + 5)))
            {
                Assert.Fail($"fewer than {count} slots were scheduled in time\n{jobs.Logs()}");
            }
            await Task.Delay(100);
        }
    }
}
