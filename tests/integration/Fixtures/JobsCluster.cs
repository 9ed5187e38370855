using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// A database of its own with one api node, optionally a realtime node, and some jobs nodes (started one after
/// another, so jobs-1 has the lowest node id), a file store of its own shared by all of them, and the first user as
/// system admin; jobs are polled for every 200 ms.
/// </summary>
public sealed class JobsCluster : IAsyncDisposable
{
    private readonly TestCluster _cluster;

    private JobsCluster(TestCluster cluster) => _cluster = cluster;

    public string DataSource => _cluster.DataSource;

    /// <summary>FileSettings.Directory of every node.</summary>
    public string Files => _cluster.FileStore;

    public ServiceProcess Api => _cluster.Api[0];

    public ServiceProcess? Realtime => _cluster.Realtime.FirstOrDefault();

    public IReadOnlyList<ServiceProcess> Jobs => _cluster.Jobs;

    public ApiClient Admin => _cluster.Admin;

    public static async Task<JobsCluster> StartAsync(ClusterFixture cluster, string name, int jobsNodes, Dictionary<string, string>? settings = null, bool realtime = false) =>
        new(await TestCluster.Create(name).OnServer(cluster.Postgres)
            .WithApi()
            .WithRealtime(realtime ? 1 : 0)
            .WithJobs(jobsNodes)
            .WithSetting("MM_JOBSETTINGS_POLLINTERVALMILLISECONDS", "200")
            .WithSettings(settings ?? [])
            .StartAsync());

    public async Task<JsonNode> CreateJobAsync(string type, object? data = null) =>
        (await Admin.PostAsync("/api/v4/jobs", new { Type = type, Data = data ?? new { } })).Expect(201).Json;

    public async Task<JsonNode> GetJobAsync(string id) => (await Admin.GetAsync($"/api/v4/jobs/{id}")).Expect(200).Json;

    /// <summary>Polls the job until <paramref name="done"/> holds; fails with the job and the nodes' output after <paramref name="timeout"/>.</summary>
    public async Task<JsonNode> WaitForJobAsync(string id, Func<JsonNode, bool> done, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var job = await GetJobAsync(id);
            if (done(job))
            {
                return job;
            }
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                Assert.Fail($"Job {id} did not get there in time: {job.ToJsonString()}\n{Logs()}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Polls until the job has <paramref name="status"/>; fails at once if it ends with another.</summary>
    public async Task<JsonNode> WaitForStatusAsync(string id, string status, TimeSpan? timeout = null)
    {
        string[] final = ["success", "error", "canceled", "warning"];
        var job = await WaitForJobAsync(id, j => (string)j["status"]! == status || final.Contains((string)j["status"]!), timeout);
        Assert.True((string)job["status"]! == status, $"Job {id} ended {job["status"]}, expected {status}: {job.ToJsonString()}\n{Logs()}");
        return job;
    }

    public Task<T> ScalarAsync<T>(string sql, params object[] parameters) => _cluster.ScalarAsync<T>(sql, parameters);

    public Task<List<T>> ColumnAsync<T>(string sql, params object[] parameters) => _cluster.ColumnAsync<T>(sql, parameters);

    public Task ExecuteAsync(string sql, params object[] parameters) => _cluster.ExecuteAsync(sql, parameters);

    /// <summary>
    /// Inserts <paramref name="count"/> posts straight into the table, as a bulk load or an import would (so without
    /// a search vector), with messages "<paramref name="prefix"/> 1" to "<paramref name="prefix"/> count", created
    /// <paramref name="ageMs"/> and updated <paramref name="updatedAgeMs"/> (default: the same) before now.
    /// </summary>
    public Task InsertPostsAsync(string channelId, string userId, int count, long ageMs, string prefix = "bulk", long? updatedAgeMs = null) =>
        ExecuteAsync("""
            INSERT INTO posts (id, create_at, update_at, user_id, channel_id, message)
            SELECT substr(md5(random()::text || g::text), 1, 26),
                   (extract(epoch FROM now()) * 1000)::bigint - $3, (extract(epoch FROM now()) * 1000)::bigint - $6,
                   $2, $1, $4 || ' ' || g
            FROM generate_series(1, $5) AS g
            """, channelId, userId, ageMs, prefix, count, updatedAgeMs ?? ageMs);

    /// <summary>
    /// Posts that the next message_export has: updated now, so after the range of any earlier export (which ends a
    /// second before that export started), and a second old when this returns (the export leaves the last second to settle).
    /// </summary>
    public async Task InsertPostsToExportAsync(string channelId, string userId, int count, string prefix = "bulk")
    {
        await InsertPostsAsync(channelId, userId, count, ageMs: 0, prefix);
        await Task.Delay(1100);
    }

    /// <summary>The jobs node whose worker holds the job now (from the job's claim and cluster_discovery).</summary>
    public async Task<ServiceProcess> WorkerOfAsync(string jobId)
    {
        var hostname = await ScalarAsync<string>("SELECT d.hostname FROM jobs j JOIN cluster_discovery d ON d.id = j.worker WHERE j.id = $1", jobId);
        return Jobs.Single(n => n.Name == hostname);
    }

    /// <summary>GET /jobs/{id}/download as the admin: the export's zip, opened.</summary>
    public async Task<ExportDownload> DownloadAsync(string jobId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Api.BaseUrl}/api/v4/jobs/{jobId}/download");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Admin.Token);
        using var response = await Admin.Http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"download of {jobId}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(bytes)}");
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        return ExportDownload.Open(bytes);
    }

    public string Logs() => _cluster.Logs();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}

/// <summary>A message_export zip: posts.csv (RFC 4180, header row) and posts.jsonl, each post a row keyed by post_id.</summary>
public sealed record ExportDownload(List<Dictionary<string, string>> Csv, List<JsonNode> Jsonl)
{
    public static ExportDownload Open(byte[] zip)
    {
        using var archive = new System.IO.Compression.ZipArchive(new MemoryStream(zip));
        Assert.Equal(["posts.csv", "posts.jsonl"], archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        var csv = Read(archive, "posts.csv");
        var jsonl = Read(archive, "posts.jsonl");
        var rows = ParseCsv(csv);
        var header = rows[0];
        return new ExportDownload(
            [.. rows.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal))],
            [.. jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!)]);
    }

    public List<string> CsvIds => [.. Csv.Select(r => r["post_id"])];

    public List<string> JsonlIds => [.. Jsonl.Select(n => (string)n["post_id"]!)];

    private static string Read(System.IO.Compression.ZipArchive archive, string name)
    {
        using var reader = new StreamReader(archive.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    /// <summary>RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; records end with CRLF.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                i++;
            }
            else
            {
                field.Append(c);
            }
        }
        Assert.True(field.Length == 0 && row.Count == 0, "the CSV does not end with CRLF");
        return rows;
    }
}
