using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// One api, one realtime and two jobs nodes on a database of their own, shared by the tests of <see cref="JobsTests"/>.
/// Exports run in small batches with pauses, so a test can catch one mid-run; a worker silent for 3 s is stale.
/// Exports start at the fixture's start (ExportFromTimestamp), so posts a test loads with older timestamps (the
/// search test's) stay out of the other tests' exports.
/// </summary>
public sealed class JobsFixture(ClusterFixture cluster) : IAsyncLifetime
{
    public JobsCluster Jobs { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Jobs = await JobsCluster.StartAsync(cluster, "jobs_api", jobsNodes: 2, new()
        {
            ["MM_JOBSETTINGS_STALEJOBAFTERSECONDS"] = "3",
            ["MM_MESSAGEEXPORTSETTINGS_BATCHSIZE"] = "200",
            ["MM_MESSAGEEXPORTSETTINGS_TIMEBETWEENBATCHESMILLISECONDS"] = "100",
            ["MM_MESSAGEEXPORTSETTINGS_EXPORTFROMTIMESTAMP"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
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
/// The job API and the message_export and search_indexing jobs on real processes: admins only, bad input refused
/// with 4xx, jobs created through the API run to success on a jobs node, exports are incremental and
/// downloadable, cancel, a job whose worker was SIGKILLed is resumed elsewhere, and admins hear job_updated.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JobsTests(ClusterFixture cluster, JobsFixture fixture) : IClassFixture<JobsFixture>
{
    private JobsCluster Jobs => fixture.Jobs;

    [Fact]
    public async Task The_job_API_is_for_system_admins_and_answers_bad_input_with_4xx()
    {
        var user = await cluster.NewUserAsync(Jobs.Api, "jobuser");
        var anonymous = user.Anonymous();
        var job = await Jobs.CreateJobAsync("search_indexing");
        var id = job.Id();
        string[] reads = ["/api/v4/jobs", $"/api/v4/jobs/{id}", "/api/v4/jobs/type/search_indexing", $"/api/v4/jobs/{id}/download"];
        foreach (var path in reads)
        {
            Assert.Equal(403, (await user.GetAsync(path)).Status);
            Assert.Equal(401, (await anonymous.GetAsync(path)).Status);
        }
        Assert.Equal(403, (await user.PostAsync("/api/v4/jobs", new { Type = "message_export" })).Status);
        Assert.Equal(403, (await user.PostAsync($"/api/v4/jobs/{id}/cancel", null)).Status);
        Assert.Equal(401, (await anonymous.PostAsync("/api/v4/jobs", new { Type = "message_export" })).Status);

        var admin = Jobs.Admin;
        var unknown = "a" + new string('b', 25);
        var bad = new (Func<Task<ApiResponse>> Call, int Status)[]
        {
            (() => admin.PostAsync("/api/v4/jobs", new { Type = "ldap_sync" }), 400),
            (() => admin.PostAsync("/api/v4/jobs", new { }), 400),
            (() => admin.PostAsync("/api/v4/jobs", new { Type = "message_export", Data = new { n = 1 } }), 400),
            (() => admin.PostAsync("/api/v4/jobs", new { Type = "message_export", Data = new { k = new string('x', 1025) } }), 400),
            (() => admin.SendAsync(HttpMethod.Post, "/api/v4/jobs", ApiClient.RawJson("{\"type\": ")), 400),
            (() => admin.SendAsync(HttpMethod.Post, "/api/v4/jobs", ApiClient.RawJson("[1]")), 400),
            (() => admin.GetAsync("/api/v4/jobs/not-an-id"), 400),
            (() => admin.GetAsync($"/api/v4/jobs/{unknown}"), 404),
            (() => admin.PostAsync($"/api/v4/jobs/{unknown}/cancel", null), 404),
            (() => admin.GetAsync($"/api/v4/jobs/{unknown}/download"), 404),
            (() => admin.GetAsync("/api/v4/jobs/type/ldap_sync"), 400),
            (() => admin.GetAsync("/api/v4/jobs?status=finished"), 400),
            (() => admin.GetAsync("/api/v4/jobs?job_type=nope"), 400),
            (() => admin.GetAsync("/api/v4/jobs?per_page=100000"), 400),
            (() => admin.GetAsync("/api/v4/jobs?page=-1"), 400),
            (() => admin.GetAsync("/api/v4/jobs?page=x"), 400),
        };
        foreach (var (call, status) in bad)
        {
            var response = await call();
            Assert.True(response.Status == status, $"{response} (expected {status})");
        }

        // A job with nothing to download (it is not an export), and a finished job cannot be canceled.
        await Jobs.WaitForStatusAsync(id, "success");
        Assert.Equal(400, (await admin.GetAsync($"/api/v4/jobs/{id}/download")).Status);
        Assert.Equal(400, (await admin.PostAsync($"/api/v4/jobs/{id}/cancel", null)).Status);
    }

    [Fact]
    public async Task A_job_created_through_the_API_runs_to_success_is_listed_and_admins_hear_job_updated_on_their_WebSocket()
    {
        var user = await cluster.NewUserAsync(Jobs.Api, "jobwatcher");
        await using var adminSocket = await MattermostSocket.ConnectAsync(Jobs.Realtime!.BaseUrl, Jobs.Admin.Token);
        await using var userSocket = await MattermostSocket.ConnectAsync(Jobs.Realtime.BaseUrl, user.Token);
        await adminSocket.WaitForAsync("hello");
        await userSocket.WaitForAsync("hello");

        var created = await Jobs.CreateJobAsync("search_indexing", new { note = "from the test" });
        var id = created.Id();
        Assert.Equal("search_indexing", (string)created["type"]!);
        Assert.Equal("pending", (string)created["status"]!);
        Assert.Equal("from the test", (string)created["data"]!["note"]!);
        Assert.Equal(26, id.Length);
        foreach (var field in new[] { "priority", "create_at", "start_at", "last_activity_at", "progress" })
        {
            Assert.True(created[field] is JsonValue, $"{field} missing: {created.ToJsonString()}");
        }

        var done = await Jobs.WaitForStatusAsync(id, "success");
        Assert.Equal(100, (long)done["progress"]!);
        Assert.True((long)done["start_at"]! >= (long)done["create_at"]! && (long)done["last_activity_at"]! >= (long)done["start_at"]!);
        Assert.Contains(id, (await Jobs.Admin.GetAsync("/api/v4/jobs/type/search_indexing")).Expect(200).Json.Ids());
        Assert.Contains(id, (await Jobs.Admin.GetAsync("/api/v4/jobs?job_type=search_indexing&status=success,error")).Expect(200).Json.Ids());
        Assert.DoesNotContain(id, (await Jobs.Admin.GetAsync("/api/v4/jobs?status=pending")).Expect(200).Json.Ids());

        // Every committed state reaches the admin, in order; the ordinary user hears nothing of it.
        var success = await adminSocket.WaitForAsync("job_updated", e => JobOf(e)?["id"]?.GetValue<string>() == id && (string?)JobOf(e)!["status"] == "success", TimeSpan.FromSeconds(20));
        var statuses = adminSocket.Events.Where(e => (string?)e["event"] == "job_updated" && (string?)JobOf(e)?["id"] == id).Select(e => (string)JobOf(e)!["status"]!).ToList();
        Assert.Equal(["pending", "in_progress"], statuses.Take(2));
        Assert.Equal("success", statuses[^1]);
        Assert.Equal(100, (long)JobOf(success)!["progress"]!);
        await userSocket.DrainAsync(TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(userSocket.Events, e => (string?)e["event"] == "job_updated");
    }

    [Fact]
    public async Task Message_export_writes_CSV_and_JSONL_to_the_file_store_incrementally_and_is_downloadable()
    {
        var alice = await cluster.NewUserAsync(Jobs.Api, "exporter");
        var teamId = await alice.CreateTeamAsync();
        var channelId = await alice.CreateChannelAsync(teamId);
        var tricky = "commas, \"quotes\" and\r\na line break — ünïcode";
        var first = new List<string>();
        foreach (var message in new[] { "first export one", tricky, "first export three" })
        {
            first.Add((await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = message })).Expect(201).Json.Id());
        }
        // Posts from the last second are left to the next export (writes may still be committing).
        await Task.Delay(1100);
        var one = await RunExportAsync();
        var export1 = await Jobs.DownloadAsync(one.Id());
        foreach (var postId in first)
        {
            Assert.Single(export1.CsvIds, postId);
            Assert.Single(export1.JsonlIds, postId);
        }
        var row = export1.Csv.Single(r => r["post_id"] == first[1]);
        Assert.Equal(tricky, row["message"]);
        Assert.Equal((alice.Username!, channelId, teamId, "O"), (row["username"], row["channel_id"], row["team_id"], row["channel_type"]));
        var json = export1.Jsonl.Single(n => (string)n["post_id"]! == first[1]);
        Assert.Equal(tricky, (string)json["message"]!);
        Assert.Equal(alice.UserId, (string)json["user_id"]!);
        // The files are in FileSettings.Directory, where every api node can serve them.
        Assert.True(File.Exists(Path.Combine(Jobs.Files, "export", one.Id(), "posts.csv")));
        Assert.True(File.Exists(Path.Combine(Jobs.Files, (string)one["data"]!["export_file"]!)));

        // The next export has only what changed since: an edit and two new posts, each once, in (update_at, id) order.
        (await alice.PutAsync($"/api/v4/posts/{first[0]}/patch", new { Message = "first export one, edited" })).Expect(200);
        var second = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            second.Add((await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = $"second export {i}" })).Expect(201).Json.Id());
        }
        await Task.Delay(1100);
        var two = await RunExportAsync();
        var export2 = await Jobs.DownloadAsync(two.Id());
        var ours = export2.CsvIds.Where(id => first.Contains(id) || second.Contains(id)).ToList();
        Assert.Equal([first[0], .. second], ours);
        Assert.Equal(export2.CsvIds, export2.JsonlIds);
        Assert.Equal("first export one, edited", export2.Csv.Single(r => r["post_id"] == first[0])["message"]);
        Assert.Equal((string)one["data"]!["end_update_at"]!, (string)two["data"]!["start_update_at"]!);
        var updates = export2.Csv.Select(r => (long.Parse(r["post_update_at"], System.Globalization.CultureInfo.InvariantCulture), r["post_id"])).ToList();
        Assert.Equal(updates.Order(), updates);

        // A symbolic link in the store that leads out of it is not followed by the download, whether it is the file
        // itself or a folder on the way; a link that stays inside is.
        var outside = Path.Combine(Path.GetTempPath(), $"outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outside);
        var via = Path.Combine(Jobs.Files, $"via-{Guid.NewGuid():N}");
        try
        {
            var zip = Path.Combine(Jobs.Files, (string)two["data"]!["export_file"]!);
            var kept = Path.Combine(Jobs.Files, $"kept-{Guid.NewGuid():N}.zip");
            File.Move(zip, kept);
            File.Copy(kept, Path.Combine(outside, "secret.zip"));
            File.CreateSymbolicLink(zip, Path.Combine(outside, "secret.zip"));
            var download = $"/api/v4/jobs/{two.Id()}/download";
            Assert.Equal(404, (await Jobs.Admin.GetAsync(download)).Status);
            Directory.CreateSymbolicLink(via, outside);
            File.Delete(zip);
            File.CreateSymbolicLink(zip, Path.Combine("..", Path.GetFileName(via), "secret.zip"));
            Assert.Equal(404, (await Jobs.Admin.GetAsync(download)).Status);
            File.Delete(zip);
            File.CreateSymbolicLink(zip, Path.Combine("..", Path.GetFileName(kept)));
            Assert.Equal(200, (await Jobs.Admin.GetAsync(download)).Status);
        }
        finally
        {
            if (new DirectoryInfo(via).LinkTarget is not null)
            {
                Directory.Delete(via);
            }
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task Session_cleanup_deletes_expired_and_idle_web_sessions_and_keeps_live_and_mobile_ones()
    {
        var user = await cluster.NewUserAsync(Jobs.Api, "sessions");
        async Task<string> LoginAsync(string deviceId)
        {
            var response = (await cluster.Anonymous(Jobs.Api).PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = ApiClient.DefaultPassword, DeviceId = deviceId })).Expect(200);
            return response.Header("Token")!;
        }
        const string ByToken = "token_hash = sha256(convert_to($1, 'UTF8'))";
        var expired = await LoginAsync("");
        var idleWeb = await LoginAsync("");
        var idleMobile = await LoginAsync("android:cleanup");
        await Jobs.ExecuteAsync($"UPDATE sessions SET expires_at = 1 WHERE {ByToken}", expired);
        // The default idle timeout is 30 days.
        foreach (var token in new[] { idleWeb, idleMobile })
        {
            await Jobs.ExecuteAsync($"UPDATE sessions SET last_activity_at = last_activity_at - 31 * 86400000::bigint WHERE {ByToken}", token);
        }

        var job = await Jobs.CreateJobAsync("session_cleanup");
        var done = await Jobs.WaitForStatusAsync(job.Id(), "success");
        Assert.True(long.Parse((string)done["data"]!["removed_sessions"]!, System.Globalization.CultureInfo.InvariantCulture) >= 2);
        foreach (var (token, kept) in new[] { (expired, false), (idleWeb, false), (idleMobile, true), (user.Token!, true) })
        {
            Assert.Equal(kept ? 1L : 0L, await Jobs.ScalarAsync<long>($"SELECT count(*) FROM sessions WHERE {ByToken}", token));
        }
        (await user.GetAsync("/api/v4/users/me")).Expect(200);
    }

    [Fact]
    public async Task Cancel_ends_a_pending_job_at_once_and_a_running_one_at_its_next_report()
    {
        var alice = await cluster.NewUserAsync(Jobs.Api, "canceler");
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        await Jobs.InsertPostsToExportAsync(channelId, alice.UserId!, 4000);
        var running = (await Jobs.CreateJobAsync("message_export")).Id();
        // One job of a type runs at a time, so this one waits behind the first.
        var waiting = (await Jobs.CreateJobAsync("message_export")).Id();

        (await Jobs.Admin.PostAsync($"/api/v4/jobs/{waiting}/cancel", null)).Expect(200);
        Assert.Equal("canceled", (string)(await Jobs.GetJobAsync(waiting))["status"]!);

        await Jobs.WaitForJobAsync(running, j => (string)j["status"]! == "in_progress" && (long)j["progress"]! > 0);
        (await Jobs.Admin.PostAsync($"/api/v4/jobs/{running}/cancel", null)).Expect(200);
        Assert.Contains((string)(await Jobs.GetJobAsync(running))["status"]!, new[] { "cancel_requested", "canceled" });
        var canceled = await Jobs.WaitForStatusAsync(running, "canceled", TimeSpan.FromSeconds(30));
        Assert.True((long)canceled["progress"]! < 100);
        Assert.Equal(400, (await Jobs.Admin.PostAsync($"/api/v4/jobs/{running}/cancel", null)).Status);
        Assert.Equal(400, (await Jobs.Admin.GetAsync($"/api/v4/jobs/{running}/download")).Status);
    }

    [Fact]
    public async Task An_export_whose_worker_was_SIGKILLed_mid_run_is_resumed_by_another_node_and_has_every_post_once()
    {
        var alice = await cluster.NewUserAsync(Jobs.Api, "resumer");
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        const int Posts = 4000;
        await Jobs.InsertPostsToExportAsync(channelId, alice.UserId!, Posts, prefix: "resumed");
        var id = (await Jobs.CreateJobAsync("message_export")).Id();
        await Jobs.WaitForJobAsync(id, j => (string)j["status"]! == "in_progress" && (long)j["progress"]! > 0);
        var worker = await Jobs.WorkerOfAsync(id);
        worker.Kill();

        // Silent for StaleJobAfterSeconds: back to pending, claimed by the surviving node, resumed from its checkpoint.
        var done = await Jobs.WaitForStatusAsync(id, "success", TimeSpan.FromSeconds(60));
        Assert.Equal(2, await Jobs.ScalarAsync<int>("SELECT attempts FROM jobs WHERE id = $1", id));
        Assert.NotEqual(worker.Name, (await Jobs.ScalarAsync<string>("SELECT d.hostname FROM jobs j JOIN cluster_discovery d ON d.id = j.worker WHERE j.id = $1", id)));

        var export = await Jobs.DownloadAsync(id);
        var expected = await Jobs.ColumnAsync<string>("SELECT id FROM posts WHERE channel_id = $1", channelId);
        Assert.Equal(Posts, expected.Count);
        var inCsv = export.CsvIds.Where(expected.Contains).ToList();
        Assert.Equal(Posts, inCsv.Count);
        Assert.Equal(Posts, inCsv.Distinct().Count());
        Assert.Equal(export.CsvIds, export.JsonlIds);
        Assert.Equal(export.CsvIds.Count, export.CsvIds.Distinct().Count());
        Assert.Equal((string)done["data"]!["exported_posts"]!, export.CsvIds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Back to two nodes for the other tests.
        await worker.StartAsync();
    }

    [Fact]
    public async Task Search_indexing_makes_bulk_loaded_posts_searchable_and_a_selective_search_uses_the_GIN_index()
    {
        var alice = await cluster.NewUserAsync(Jobs.Api, "searcher");
        var teamId = await alice.CreateTeamAsync();
        var channelId = await alice.CreateChannelAsync(teamId);
        var (word, needle) = ("kumquat" + Unique.Suffix(), "quince" + Unique.Suffix());
        const long DayMs = 86_400_000;
        await Jobs.InsertPostsAsync(channelId, alice.UserId!, 3000, ageMs: DayMs, prefix: word);
        await Jobs.InsertPostsAsync(channelId, alice.UserId!, 1, ageMs: DayMs, prefix: needle);
        var needleId = await Jobs.ScalarAsync<string>("SELECT id FROM posts WHERE message = $1", $"{needle} 1");
        async Task<List<string>> SearchAsync(string terms) =>
            (await alice.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = terms, PerPage = 200 })).Expect(200).Json.Order();

        // Loaded without vectors: not found until the job has indexed them.
        Assert.Empty(await SearchAsync(word));
        Assert.Empty(await SearchAsync(needle));
        var job = await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("search_indexing")).Id(), "success");
        Assert.True(long.Parse((string)job["data"]!["indexed_posts"]!, System.Globalization.CultureInfo.InvariantCulture) >= 3001, job.ToJsonString());
        Assert.Equal(0, await Jobs.ScalarAsync<long>("SELECT count(*) FROM posts WHERE search_vector IS NULL"));
        Assert.Equal(200, (await SearchAsync(word)).Count);
        Assert.Equal([await Jobs.ScalarAsync<string>("SELECT id FROM posts WHERE message = $1", $"{word} 1234")], await SearchAsync($"\"{word} 1234\""));

        // A selective search (one post among 3,000 in the channel) is answered from the GIN index: the request's
        // scan shows in the server's index statistics.
        var scansBefore = await IndexScansAsync();
        Assert.Equal([needleId], await SearchAsync(needle));
        var clock = Stopwatch.StartNew();
        while (await IndexScansAsync() == scansBefore)
        {
            // The server publishes a backend's statistics when it goes idle, at most once a second (10 s if busy).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the search did not scan posts_search_vector");
            await Task.Delay(200);
        }

        // A rebuild recomputes every vector from its cursor; searches find the same posts.
        var rebuild = await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("search_indexing", new { rebuild = "true" })).Id(), "success");
        Assert.Equal((string)rebuild["data"]!["total_posts"]!, (string)rebuild["data"]!["indexed_posts"]!);
        Assert.Equal([needleId], await SearchAsync(needle));
        Assert.Equal(200, (await SearchAsync(word)).Count);
    }

    private Task<long> IndexScansAsync() =>
        Jobs.ScalarAsync<long>("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'posts_search_vector'");

    [Fact]
    public async Task Exports_list_attachments_and_housekeeping_removes_only_stale_unattached_uploads()
    {
        var alice = await cluster.NewUserAsync(Jobs.Api, "attacher");
        var teamId = await alice.CreateTeamAsync();
        var channelId = await alice.CreateChannelAsync(teamId);
        var attached = await alice.UploadOneAsync(channelId, "report.txt", "attached"u8.ToArray());
        var stale = await alice.UploadOneAsync(channelId, "stale.txt", "never posted"u8.ToArray());
        var fresh = await alice.UploadOneAsync(channelId, "fresh.txt", "about to be posted"u8.ToArray());
        var postId = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "with a file", FileIds = new[] { attached.Id() } })).Expect(201).Json.Id();
        await Task.Delay(1100);
        var export = await Jobs.DownloadAsync((await RunExportAsync()).Id());
        var listed = export.Csv.Single(r => r["post_id"] == postId)["attachments"];
        Assert.StartsWith("report.txt (", listed, StringComparison.Ordinal);
        var path = listed["report.txt (".Length..^1];
        Assert.True(File.Exists(Path.Combine(Jobs.Files, path)));

        // Older than FileSettings.UnattachedFileRetentionHours (24 h): the stale upload goes, row and file; the
        // fresh one and the attached one stay.
        var stalePath = await Jobs.ScalarAsync<string>("UPDATE file_infos SET create_at = create_at - 25 * 3600 * 1000 WHERE id = $1 RETURNING path", stale.Id());
        Assert.True(File.Exists(Path.Combine(Jobs.Files, stalePath)));
        await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("file_housekeeping")).Id(), "success");
        (await alice.GetAsync($"/api/v4/files/{stale.Id()}/info")).Expect(404);
        Assert.False(File.Exists(Path.Combine(Jobs.Files, stalePath)));
        (await alice.GetAsync($"/api/v4/files/{fresh.Id()}/info")).Expect(200);
        Assert.True(File.Exists(Path.Combine(Jobs.Files, path)));
    }

    private async Task<JsonNode> RunExportAsync() =>
        await Jobs.WaitForStatusAsync((await Jobs.CreateJobAsync("message_export")).Id(), "success");

    private static JsonNode? JobOf(JsonNode e) => e["data"]?["job"];
}
