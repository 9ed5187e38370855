using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Chat.Testing;
using Npgsql;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// The jobs service's scheduling under the Dapr provider, as a real jobs process against the stand-in sidecar:
/// one actor reminder per scheduled job type (registered through /v1.0/actors/job_schedule/{type}/reminders/slots,
/// removed for types not scheduled), the actor type announced in /dapr/config, and a firing that takes the
/// type's distributed lock, creates the job of each due slot once however often it fires, and does nothing while
/// another holder has the lock — the slot it left is created by the next firing.
/// </summary>
[Collection("postgres")]
public sealed class DaprJobSchedulingContractTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string AppToken = "app-token-from-the-sidecar";
    private const string ActorType = "job_schedule";
    private const int SlotSeconds = 3;

    private StandInSidecar sidecar = null!;
    private ServiceProcess jobs = null!;
    private HttpClient app = null!;
    private string database = "";

    public async Task InitializeAsync()
    {
        sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        database = await postgres.NewDatabaseAsync();
        var files = Directory.CreateTempSubdirectory("chat-dapr-jobs-").FullName;
        jobs = new ServiceProcess("jobs", "jobs-dapr", new Dictionary<string, string>
        {
            ["MM_SQLSETTINGS_DATASOURCE"] = database,
            ["MM_FILESETTINGS_DIRECTORY"] = files,
            ["MM_DAPRSETTINGS_PROVIDER"] = "Dapr",
            ["DAPR_HTTP_ENDPOINT"] = sidecar.Url.ToString(),
            ["DAPR_API_TOKEN"] = DaprAppNode.ApiToken,
            ["APP_API_TOKEN"] = AppToken,
            ["APP_ID"] = "chat-jobs",
            ["MM_MESSAGEEXPORTSETTINGS_ENABLEEXPORT"] = "true",
            ["MM_JOBSETTINGS_SCHEDULEINTERVALSECONDS"] = SlotSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Scheduling only: the jobs stay pending, so a test sees exactly what the firings created.
            ["MM_JOBSETTINGS_RUNJOBS"] = "false",
        });
        await jobs.StartAsync();
        app = new HttpClient { BaseAddress = new Uri(jobs.BaseUrl) };
    }

    public async Task DisposeAsync()
    {
        app?.Dispose();
        if (jobs is not null)
        {
            await jobs.DisposeAsync();
        }
        if (sidecar is not null)
        {
            await sidecar.DisposeAsync();
        }
    }

    [Fact]
    public async Task Each_scheduled_job_type_gets_a_reminder_and_the_app_announces_the_actor_type()
    {
        // Scheduled types (export enabled; search indexing by default) every JobSettings.ScheduleIntervalSeconds, due at once.
        foreach (var type in new[] { "message_export", "search_indexing" })
        {
            var reminder = sidecar.Reminders[$"{ActorType}/{type}/slots"];
            Assert.Equal("0h0m0s0ms", reminder.GetProperty("dueTime").GetString());
            Assert.Equal("0h0m3s0ms", reminder.GetProperty("period").GetString());
            Assert.Contains(sidecar.Calls, c => c.Method == "POST" && c.RawTarget == $"/v1.0/actors/{ActorType}/{type}/reminders/slots" && c.Token == DaprAppNode.ApiToken);
        }
        // Retention is off: its reminder, if one was left from an earlier configuration, is removed.
        Assert.False(sidecar.Reminders.ContainsKey($"{ActorType}/data_retention/slots"));
        Assert.Contains(sidecar.Calls, c => c.Method == "DELETE" && c.RawTarget == $"/v1.0/actors/{ActorType}/data_retention/reminders/slots");

        using var config = new HttpRequestMessage(HttpMethod.Get, "/dapr/config") { Headers = { { "dapr-api-token", AppToken } } };
        using var response = await app.SendAsync(config);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entities = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entities").EnumerateArray().Select(e => e.GetString());
        Assert.Contains(ActorType, entities);
    }

    [Fact]
    public async Task Firings_create_each_due_slot_once_under_the_types_lock()
    {
        // The first firing records when the type was first scheduled; its first slot is the next one.
        await FireAsync();
        Assert.Empty(await SlotsAsync());
        var since = await CountAsync("SELECT since_ms FROM job_schedules WHERE type = 'message_export'");
        await WaitPastSlotAfterAsync(since);

        // Reminders are at least once: fired four times, two at once, each due slot still has one job, none skipped.
        await Task.WhenAll(FireAsync(), FireAsync());
        await FireAsync();
        await FireAsync();
        var slots = await SlotsAsync();
        Assert.Equal(SlotAfter(since), slots[0]);
        AssertConsecutive(slots);

        // Every firing asked for the type's lock (of two at once, one got it and the other stood down), and every holder released it.
        var locks = sidecar.Calls.Where(c => c.Path == "/v1.0-alpha1/lock/lockstore").Select(c => JsonDocument.Parse(c.Body).RootElement).ToList();
        var unlocks = sidecar.Calls.Where(c => c.Path == "/v1.0-alpha1/unlock/lockstore").Select(c => JsonDocument.Parse(c.Body).RootElement).ToList();
        Assert.Equal(5, locks.Count);
        Assert.All(locks, l => Assert.Equal("job-schedule-message_export", l.GetProperty("resourceId").GetString()));
        Assert.All(locks, l => Assert.Equal(60, l.GetProperty("expiryInSeconds").GetInt32()));
        var owners = locks.Select(l => l.GetProperty("lockOwner").GetString()).ToList();
        Assert.InRange(unlocks.Count, locks.Count - 1, locks.Count);
        Assert.All(unlocks, u => Assert.Contains(u.GetProperty("lockOwner").GetString(), owners));
        Assert.Equal(owners.Count, owners.Distinct().Count());
    }

    [Fact]
    public async Task A_firing_while_another_holds_the_lock_schedules_nothing_and_the_next_firing_catches_up()
    {
        await FireAsync();
        await WaitPastSlotAfterAsync(await CountAsync("SELECT since_ms FROM job_schedules WHERE type = 'message_export'"));
        await FireAsync();
        var before = await SlotsAsync();
        Assert.NotEmpty(before);

        // Another node holds the type's lock: the firing answers 200 (no retry needed) and creates nothing.
        Assert.True(await LockAsync("lock", "another-node"));
        await WaitPastSlotAfterAsync(before[^1]);
        await FireAsync();
        Assert.Equal(before, await SlotsAsync());

        // Released: the next firing creates the slots the blocked one left.
        Assert.True(await LockAsync("unlock", "another-node"));
        await FireAsync();
        var after = await SlotsAsync();
        Assert.True(after.Count > before.Count, $"slots: {string.Join(", ", after)}");
        Assert.Equal(before, after.Take(before.Count));
        AssertConsecutive(after);
    }

    [Fact]
    public async Task A_firing_for_a_type_the_node_does_not_know_is_acknowledged_and_ignored()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/actors/{ActorType}/ldap_sync/method/remind/slots")
        {
            Content = JsonContent.Create(new { data = (object?)null, dueTime = "0h0m0s0ms", period = "0h0m2s0ms" }),
            Headers = { { "dapr-api-token", AppToken } },
        };
        using var response = await app.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM jobs"));
    }

    private async Task FireAsync()
    {
        using var response = await sidecar.FireReminderAsync(app, ActorType, "message_export", "slots", AppToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Takes or releases a lock at the sidecar as another node would; true on success.</summary>
    private async Task<bool> LockAsync(string operation, string owner)
    {
        using var http = new HttpClient { BaseAddress = sidecar.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1.0-alpha1/{operation}/lockstore")
        {
            Content = JsonContent.Create(new { resourceId = "job-schedule-message_export", lockOwner = owner, expiryInSeconds = 60 }),
            Headers = { { "dapr-api-token", DaprAppNode.ApiToken } },
        };
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return operation == "lock" ? body.GetProperty("success").GetBoolean() : body.GetProperty("status").GetInt32() == 0;
    }

    private static long SlotAfter(long ms) => (ms / (SlotSeconds * 1000) + 1) * SlotSeconds * 1000;

    /// <summary>Waits until the database clock has passed the first slot after <paramref name="ms"/>.</summary>
    private async Task WaitPastSlotAfterAsync(long ms)
    {
        var now = await CountAsync("SELECT (extract(epoch FROM now()) * 1000)::bigint");
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, SlotAfter(ms) - now) + 50));
    }

    private static void AssertConsecutive(List<long> slots) =>
        Assert.All(slots.Zip(slots.Skip(1)), p => Assert.Equal(SlotSeconds * 1000, p.Second - p.First));

    private async Task<List<long>> SlotsAsync()
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT schedule_slot FROM jobs WHERE type = 'message_export' ORDER BY schedule_slot", connection);
        var slots = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            slots.Add(reader.GetInt64(0));
        }
        return slots;
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
