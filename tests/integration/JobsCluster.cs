using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Chat.Testing;
using Npgsql;

namespace Chat.IntegrationTests;

/// <summary>
/// A database of its own with one api node and some jobs nodes (started one after another, so jobs-1 has the
/// lowest node id), a file store of its own shared by all of them, and the first user as system admin.
/// </summary>
public sealed class JobsCluster : IAsyncDisposable
{
    private JobsCluster(ClusterFixture cluster, string dataSource, string files, Dictionary<string, string> settings)
    {
        Cluster = cluster;
        DataSource = dataSource;
        Files = files;
        Settings = settings;
    }

    public ClusterFixture Cluster { get; }

    public string DataSource { get; }

    /// <summary>FileSettings.Directory of every node.</summary>
    public string Files { get; }

    public Dictionary<string, string> Settings { get; }

    public ServiceProcess Api { get; private set; } = null!;

    public List<ServiceProcess> Jobs { get; } = [];

    public ApiClient Admin { get; private set; } = null!;

    public static async Task<JobsCluster> StartAsync(ClusterFixture cluster, string name, int jobsNodes, Dictionary<string, string>? settings = null)
    {
        var dataSource = await cluster.Postgres.CreateDatabaseAsync(name);
        var files = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"chat-jobs-{name}-{Guid.NewGuid():N}")).FullName;
        var all = new Dictionary<string, string>(settings ?? [])
        {
            ["MM_FILESETTINGS_DIRECTORY"] = files,
            ["MM_JOBSETTINGS_POLLINTERVALMILLISECONDS"] = "200",
        };
        var jobs = new JobsCluster(cluster, dataSource, files, all);
        jobs.Api = new ServiceProcess("api", "api-1", cluster.NodeEnvironment(dataSource, all));
        await jobs.Api.StartAsync();
        jobs.Admin = await cluster.NewUserAsync(jobs.Api, "admin");
        for (var i = 1; i <= jobsNodes; i++)
        {
            await jobs.AddJobsNodeAsync();
        }
        return jobs;
    }

    public async Task<ServiceProcess> AddJobsNodeAsync()
    {
        var node = new ServiceProcess("jobs", $"jobs-{Jobs.Count + 1}", Cluster.NodeEnvironment(DataSource, Settings));
        Jobs.Add(node);
        await node.StartAsync();
        return node;
    }

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

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(DataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task<List<T>> ColumnAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(DataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        var values = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }
        return values;
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(DataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Inserts <paramref name="count"/> posts straight into the table (bulk data for figures and long exports),
    /// created and updated <paramref name="ageMs"/> before now; returns nothing, the test counts by channel.
    /// </summary>
    public Task InsertPostsAsync(string channelId, string userId, int count, long ageMs, string prefix = "bulk") =>
        ExecuteAsync("""
            INSERT INTO posts (id, create_at, update_at, user_id, channel_id, message)
            SELECT substr(md5(random()::text || g::text), 1, 26),
                   (extract(epoch FROM now()) * 1000)::bigint - $3, (extract(epoch FROM now()) * 1000)::bigint - $3,
                   $2, $1, $4 || ' ' || g
            FROM generate_series(1, $5) AS g
            """, channelId, userId, ageMs, prefix, count);

    public string Logs() => string.Join("\n", new[] { Api }.Concat(Jobs).Select(n => $"=== {n.Name}\n{Tail(n.Output)}"));

    private static string Tail(string text) => text.Length <= 6000 ? text : "…" + text[^6000..];

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(new[] { Api }.Concat(Jobs).Where(n => n is not null).Select(n => n.DisposeAsync().AsTask()));
        try
        {
            Directory.Delete(Files, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
