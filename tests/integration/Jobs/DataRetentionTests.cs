using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// One api, one realtime and one jobs node on a database of their own, with global message retention of 24 hours
/// in batches of 3,000 with 100 ms pauses (the defaults), for <see cref="DataRetentionTests"/>.
/// </summary>
public sealed class DataRetentionFixture(ClusterFixture cluster) : IAsyncLifetime
{
    public const int BatchSize = 3000;
    public const int PauseMs = 100;

    public JobsCluster Jobs { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Jobs = await JobsCluster.StartAsync(cluster, "jobs_retention", jobsNodes: 1, new()
        {
            ["MM_DATARETENTIONSETTINGS_ENABLEMESSAGEDELETION"] = "true",
            ["MM_DATARETENTIONSETTINGS_MESSAGERETENTIONHOURS"] = "24",
            ["MM_DATARETENTIONSETTINGS_BATCHSIZE"] = BatchSize.ToString(CultureInfo.InvariantCulture),
            ["MM_DATARETENTIONSETTINGS_TIMEBETWEENBATCHESMILLISECONDS"] = PauseMs.ToString(CultureInfo.InvariantCulture),
        }, realtime: true);

    public async Task DisposeAsync()
    {
        if (Jobs is not null)
        {
            await Jobs.DisposeAsync();
        }
    }
}

/// <summary>
/// data_retention created through the API: the global retention (hours), a team policy and a channel policy decide
/// which posts go; exactly the expired ones are deleted, in batches with pauses; they vanish from the API, search and
/// later exports, and channel members get post_deleted. Also the figures: the job's deletion rate against a plain
/// batched DELETE on the same table in the same run, and the export's rate.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DataRetentionTests(ClusterFixture cluster, DataRetentionFixture fixture, ITestOutputHelper output) : IClassFixture<DataRetentionFixture>
{
    private const long HourMs = 3_600_000;
    private const long DayMs = 24 * HourMs;

    private JobsCluster Jobs => fixture.Jobs;

    [Fact]
    public async Task Retention_deletes_exactly_the_expired_posts_by_global_team_and_channel_policy()
    {
        var alice = await cluster.NewUserAsync(Jobs.Api, "retainer");
        var (team1, team2) = (await alice.CreateTeamAsync(), await alice.CreateTeamAsync());
        var global = await alice.CreateChannelAsync(team1);
        var byTeam = await alice.CreateChannelAsync(team2);
        var byChannel = await alice.CreateChannelAsync(team2);
        // Bob is in the team-policy channel only: his WebSocket hears of exactly its deletions.
        var bob = await cluster.NewUserAsync(Jobs.Api, "watcher");
        await alice.AddToTeamAsync(team2, bob);
        await alice.AddToChannelAsync(byTeam, bob);
        var admin = Jobs.Admin;
        (await admin.PostAsync("/api/v4/data_retention/policies", new { DisplayName = "three days", PostDuration = 3, TeamIds = new[] { team2 } })).Expect(201);
        (await admin.PostAsync("/api/v4/data_retention/policies", new { DisplayName = "keep", PostDuration = -1, ChannelIds = new[] { byChannel } })).Expect(201);

        // Timestamps: created long ago (what retention judges), updated just now (so a later export would include them).
        const int ExpiredGlobal = 2 * DataRetentionFixture.BatchSize + 1;
        await Jobs.InsertPostsAsync(global, alice.UserId!, ExpiredGlobal, ageMs: 30 * HourMs, prefix: "expired", updatedAgeMs: 0);
        await Jobs.InsertPostsAsync(global, alice.UserId!, 10, ageMs: HourMs, prefix: "fresh", updatedAgeMs: 0);
        await Jobs.InsertPostsAsync(byTeam, alice.UserId!, 5, ageMs: 4 * DayMs, prefix: "expired", updatedAgeMs: 0);
        await Jobs.InsertPostsAsync(byTeam, alice.UserId!, 5, ageMs: 2 * DayMs, prefix: "team-kept", updatedAgeMs: 0);
        await Jobs.InsertPostsAsync(byChannel, alice.UserId!, 5, ageMs: 400 * DayMs, prefix: "channel-kept", updatedAgeMs: 0);
        var word = "gooseberry" + Unique.Suffix();
        var kept = (await alice.PostAsync("/api/v4/posts", new { ChannelId = global, Message = $"{word} stays" })).Expect(201).Json.Id();
        var agedFile = await alice.UploadOneAsync(global, "old.txt", "goes with its post"u8.ToArray());
        var aged = (await alice.PostAsync("/api/v4/posts", new { ChannelId = global, Message = $"{word} goes", FileIds = new[] { agedFile.Id() } })).Expect(201).Json.Id();
        var agedPath = await Jobs.ScalarAsync<string>("SELECT path FROM file_infos WHERE id = $1", agedFile.Id());
        Assert.True(File.Exists(Path.Combine(Jobs.Files, agedPath)));
        await Jobs.ExecuteAsync("UPDATE posts SET create_at = create_at - $2 WHERE id = $1", aged, 30 * HourMs);
        Assert.Equal(2, (await alice.PostAsync($"/api/v4/teams/{team1}/posts/search", new { Terms = word })).Expect(200).Json.Order().Count);

        var channels = new[] { global, byTeam, byChannel };
        var expiredByTeam = await Jobs.ColumnAsync<string>("SELECT id FROM posts WHERE channel_id = $1 AND message LIKE 'expired %'", byTeam);
        var expired = await Jobs.ColumnAsync<string>("SELECT id FROM posts WHERE channel_id = ANY($1) AND message LIKE 'expired %' OR id = $2", (object)channels, aged);
        var survivors = await Jobs.ColumnAsync<string>("SELECT id FROM posts WHERE channel_id = ANY($1) AND NOT (message LIKE 'expired %' OR id = $2)", (object)channels, aged);
        Assert.Equal(ExpiredGlobal + 5 + 1, expired.Count);
        // Survivors include the system post of bob's addition to byTeam, written now.
        Assert.Equal(10 + 5 + 5 + 1 + 1, survivors.Count);

        await using var socket = await MattermostSocket.ConnectAsync(Jobs.Realtime!.BaseUrl, bob.Token);
        await socket.WaitForAsync("hello");
        var events = new RecordedEvents(Jobs.DataSource);
        var before = await events.PositionAsync();

        var job = await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("data_retention")).Id(), "success", TimeSpan.FromSeconds(120));

        // Exactly the expired rows are gone.
        Assert.Equal(survivors.Order(StringComparer.Ordinal), (await Jobs.ColumnAsync<string>("SELECT id FROM posts WHERE channel_id = ANY($1)", (object)channels)).Order(StringComparer.Ordinal));
        Assert.Equal(expired.Count.ToString(CultureInfo.InvariantCulture), (string)job["data"]!["deleted_posts"]!);

        // Gone from the API and search; still there: the post that is not expired.
        Assert.Equal(404, (await alice.GetAsync($"/api/v4/posts/{aged}")).Status);
        // Its file went with it: the row and the stored file.
        (await alice.GetAsync($"/api/v4/files/{agedFile.Id()}/info")).Expect(404);
        Assert.False(File.Exists(Path.Combine(Jobs.Files, agedPath)));
        (await alice.GetAsync($"/api/v4/posts/{kept}")).Expect(200);
        var page = (await alice.GetAsync($"/api/v4/channels/{global}/posts?per_page=200")).Expect(200).Json.Order();
        Assert.Contains(kept, page);
        Assert.DoesNotContain(aged, page);
        Assert.Equal([kept], (await alice.PostAsync($"/api/v4/teams/{team1}/posts/search", new { Terms = word })).Expect(200).Json.Order());

        // Clients hear of each deletion: a member's WebSocket, and one post_deleted per post in the outbox.
        var heard = new List<string>();
        while (heard.Count < expiredByTeam.Count)
        {
            var deleted = await socket.WaitForAsync("post_deleted", timeout: TimeSpan.FromSeconds(20));
            Assert.Equal(byTeam, (string)deleted["broadcast"]!["channel_id"]!);
            heard.Add(PostIdOf(deleted)!);
        }
        Assert.Equal(expiredByTeam.Order(StringComparer.Ordinal), heard.Order(StringComparer.Ordinal));
        await socket.DrainAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal(expiredByTeam.Count, socket.Events.Count(e => (string?)e["event"] == "post_deleted"));
        var recorded = (await events.ReadAsync(before)).Where(e => e.Event == "post_deleted").Select(e => PostIdOf(e.Message)!).ToList();
        Assert.Equal(expired.Order(StringComparer.Ordinal), recorded.Where(expired.Contains).Order(StringComparer.Ordinal));
        Assert.Equal(recorded.Count, recorded.Distinct().Count());

        // In batches with pauses: progress reported between batches, and at least one pause per full batch.
        var progress = (await events.ReadAsync(before)).Where(e => e.Event == "job_updated" && (string?)e.Data["job"]?["id"] == job.Id())
            .Select(e => (long)e.Data["job"]!["progress"]!).Where(p => p is > 0 and < 100).Distinct().ToList();
        Assert.True(progress.Count >= 2, $"progress reported: [{string.Join(", ", progress)}]");
        var ranMs = (long)job["last_activity_at"]! - (long)job["start_at"]!;
        Assert.True(ranMs >= 2 * DataRetentionFixture.PauseMs, $"ran {ranMs} ms");

        // A later export has the survivors and none of the deleted posts.
        await Task.Delay(1100);
        var export = await Jobs.DownloadAsync((await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("message_export")).Id(), "success")).Id());
        Assert.Empty(export.CsvIds.Intersect(expired));
        Assert.Empty(export.JsonlIds.Intersect(expired));
        Assert.Equal(survivors.Order(StringComparer.Ordinal), export.CsvIds.Intersect(survivors).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Figures, printed (not asserted): the retention job's deletion rate against a plain batched DELETE of the same
    /// number of rows from the same table in the same run, and the export's rate. CHAT_JOBS_FIGURE_ROWS sets the rows
    /// (default 20,000).
    /// </summary>
    [Fact]
    public async Task Figures_retention_deletion_rate_against_a_plain_batched_DELETE_and_export_rate()
    {
        var rows = int.TryParse(Environment.GetEnvironmentVariable("CHAT_JOBS_FIGURE_ROWS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 20_000;
        var alice = await cluster.NewUserAsync(Jobs.Api, "figures");
        var team = await alice.CreateTeamAsync();
        var (jobChannel, baselineChannel) = (await alice.CreateChannelAsync(team), await alice.CreateChannelAsync(team));

        // The job: every row of its channel is past the 24 h retention.
        await Jobs.InsertPostsAsync(jobChannel, alice.UserId!, rows, ageMs: 2 * DayMs);
        var retention = await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("data_retention")).Id(), "success", TimeSpan.FromMinutes(10));
        Assert.Equal(0, await Jobs.ScalarAsync<long>("SELECT count(*) FROM posts WHERE channel_id = $1", jobChannel));
        var jobDeleted = long.Parse((string)retention["data"]!["deleted_posts"]!, CultureInfo.InvariantCulture);
        var jobSeconds = Seconds(retention);
        var pauses = jobDeleted / DataRetentionFixture.BatchSize * DataRetentionFixture.PauseMs / 1000.0;

        // The baseline: the same number of rows, the same table, the same batch size, deleted by plain statements.
        await Jobs.InsertPostsAsync(baselineChannel, alice.UserId!, rows, ageMs: 2 * DayMs);
        var baseline = await BatchedDeleteAsync(baselineChannel, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - DayMs);
        Assert.Equal(rows, baseline.Rows);

        // The export: rows updated just now, so the next export has them all.
        await Jobs.InsertPostsToExportAsync(jobChannel, alice.UserId!, rows);
        var export = await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("message_export")).Id(), "success", TimeSpan.FromMinutes(10));
        var exported = long.Parse((string)export["data"]!["exported_posts"]!, CultureInfo.InvariantCulture);
        Assert.True(exported >= rows);

        var jobRate = jobDeleted / jobSeconds;
        var baselineRate = baseline.Rows / baseline.Seconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"retention: {jobDeleted} rows in {jobSeconds:F2} s = {jobRate:F0} rows/s ({jobDeleted / (jobSeconds - pauses):F0} rows/s without the {pauses:F1} s of pauses); " +
            $"batched DELETE baseline: {baseline.Rows} rows in {baseline.Seconds:F2} s = {baselineRate:F0} rows/s; ratio={jobRate / baselineRate:F2}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"export: {exported} rows in {Seconds(export):F2} s = {exported / Seconds(export):F0} rows/s (CSV + JSONL, zipped)"));
    }

    /// <summary>From the job's start to its last activity (its end), by the database's clock.</summary>
    private static double Seconds(JsonNode job) => Math.Max(1, (long)job["last_activity_at"]! - (long)job["start_at"]!) / 1000.0;

    private async Task<(long Rows, double Seconds)> BatchedDeleteAsync(string channelId, long cutoff)
    {
        await using var connection = new NpgsqlConnection(Jobs.DataSource);
        await connection.OpenAsync();
        await using var delete = new NpgsqlCommand("""
            DELETE FROM posts WHERE id IN (
                SELECT id FROM posts WHERE channel_id = $1 AND create_at < $2 ORDER BY create_at LIMIT $3)
            """, connection)
        {
            Parameters = { new() { Value = channelId }, new() { Value = cutoff }, new() { Value = DataRetentionFixture.BatchSize } },
        };
        var clock = Stopwatch.StartNew();
        long total = 0;
        int batch;
        do
        {
            batch = await delete.ExecuteNonQueryAsync();
            total += batch;
        }
        while (batch == DataRetentionFixture.BatchSize);
        return (total, clock.Elapsed.TotalSeconds);
    }

    private static string? PostIdOf(JsonNode message) =>
        message["data"]?["post"]?.GetValue<string>() is { } post ? JsonNode.Parse(post)?["id"]?.GetValue<string>() : null;
}
