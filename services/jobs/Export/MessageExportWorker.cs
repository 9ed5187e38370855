using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Chat.Configuration;
using Chat.Jobs.Core;
using Chat.Jobs.Workers;
using Dapper;
using Npgsql;

namespace Chat.Jobs.Export;

/// <summary>
/// message_export: a compliance export of posts (with their channel, team and author, deleted ones included) as
/// CSV and JSON Lines under FileSettings.Directory (shared storage: any api node serves the download). Incremental:
/// a job exports the posts whose update_at lies after the previous successful export's end and at most a second
/// before its own start (so writes still committing are left to the next one), in (update_at, id) order. After
/// each batch the files are flushed to disk and then the cursor and file lengths are saved as the job's
/// checkpoint; a job resumed after its worker died truncates the files to the checkpoint and continues from its
/// cursor, so every post appears exactly once. On success both files are zipped for /jobs/{id}/download.
/// </summary>
public sealed partial class MessageExportWorker(NpgsqlDataSource db, JobStore jobs, ChatConfig config, ILogger<MessageExportWorker> logger) : IJobWorker
{
    /// <summary>Posts updated within this margin before the job's start are left to the next export (commits in flight).</summary>
    private const long SettleMs = 1000;

    private static readonly string[] CsvHeader =
    [
        "post_id", "post_create_at", "post_update_at", "post_edit_at", "post_delete_at", "team_id", "team_name",
        "channel_id", "channel_name", "channel_type", "user_id", "username", "user_email", "root_id", "post_type", "message",
        "attachments",
    ];

    private static readonly JsonSerializerOptions JsonLines = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<string> RunAsync(JobRun run)
    {
        var cancellation = run.Cancellation;
        var settings = config.MessageExportSettings;
        if (run.Get("end_update_at") is null)
        {
            await PlanAsync(run, settings, cancellation);
        }
        var end = Long(run.Get("end_update_at"));
        var cursorUpdateAt = Long(run.Get("cursor_update_at"));
        var cursorPostId = run.Get("cursor_post_id") ?? "";
        var exported = Long(run.Get("exported_posts"));
        var total = Long(run.Get("total_posts"));
        var relative = Path.Combine("export", run.Job.Id);
        var folder = Path.Combine(config.FileSettings.Directory, relative);
        Directory.CreateDirectory(folder);
        await using var csv = OpenAt(Path.Combine(folder, "posts.csv"), Long(run.Get("csv_bytes")));
        await using var jsonl = OpenAt(Path.Combine(folder, "posts.jsonl"), Long(run.Get("jsonl_bytes")));
        if (csv.Length == 0)
        {
            await WriteAsync(csv, Csv.Line(CsvHeader), cancellation);
        }
        while (true)
        {
            var rows = await ReadBatchAsync(cursorUpdateAt, cursorPostId, end, settings.BatchSize, cancellation);
            if (rows.Count > 0)
            {
                var csvText = new StringBuilder();
                var jsonText = new StringBuilder();
                foreach (var row in rows)
                {
                    csvText.Append(Csv.Line(row.Fields()));
                    jsonText.Append(JsonSerializer.Serialize(row, JsonLines)).Append('\n');
                }
                await WriteAsync(csv, csvText.ToString(), cancellation);
                await WriteAsync(jsonl, jsonText.ToString(), cancellation);
                // On disk before the checkpoint that counts them.
                csv.Flush(flushToDisk: true);
                jsonl.Flush(flushToDisk: true);
                (cursorUpdateAt, cursorPostId) = (rows[^1].PostUpdateAt, rows[^1].PostId);
                exported += rows.Count;
                run.Set("cursor_update_at", Text(cursorUpdateAt));
                run.Set("cursor_post_id", cursorPostId);
                run.Set("exported_posts", Text(exported));
            }
            run.Set("csv_bytes", Text(csv.Length));
            run.Set("jsonl_bytes", Text(jsonl.Length));
            run.Progress = total == 0 ? 99 : Math.Min(99, exported * 100 / total);
            await run.ReportAsync();
            if (rows.Count < settings.BatchSize)
            {
                break;
            }
            if (settings.TimeBetweenBatchesMilliseconds > 0)
            {
                await Task.Delay(settings.TimeBetweenBatchesMilliseconds, cancellation);
            }
        }
        await csv.DisposeAsync();
        await jsonl.DisposeAsync();
        var zip = Path.Combine(config.FileSettings.Directory, relative + ".zip");
        File.Delete(zip);
        await ZipFile.CreateFromDirectoryAsync(folder, zip, CompressionLevel.Fastest, includeBaseDirectory: false, cancellation);
        run.Set("export_file", relative + ".zip");
        run.Set("is_downloadable", "true");
        LogExported(run.Job.Id, exported, zip);
        return JobStatus.Success;
    }

    /// <summary>First attempt: the range is fixed once (from the last successful export, or ExportFromTimestamp) and counted.</summary>
    private async Task PlanAsync(JobRun run, MessageExportSettings settings, CancellationToken cancellationToken)
    {
        var previous = await jobs.LastSuccessfulAsync(JobTypes.MessageExport, cancellationToken);
        // update_at values are whole ms: "after start" is "at or after start + 1", cursor (start + 1, '') in (update_at, id) order.
        var start = previous?.Data.GetValueOrDefault("end_update_at") is { } e ? Long(e) : settings.ExportFromTimestamp - 1;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var end = await connection.ExecuteScalarAsync<long>("SELECT (extract(epoch FROM now()) * 1000)::bigint") - SettleMs;
        var total = end <= start ? 0 : await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM posts WHERE update_at > @start AND update_at <= @end", new { start, end }, cancellationToken: cancellationToken));
        run.Set("start_update_at", Text(start));
        run.Set("end_update_at", Text(Math.Max(start, end)));
        run.Set("cursor_update_at", Text(start + 1));
        run.Set("cursor_post_id", "");
        run.Set("exported_posts", "0");
        run.Set("total_posts", Text(total));
        run.Set("csv_bytes", "0");
        run.Set("jsonl_bytes", "0");
        await run.ReportAsync();
    }

    private async Task<List<ExportRow>> ReadBatchAsync(long cursorUpdateAt, string cursorPostId, long end, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ExportRow>(new CommandDefinition("""
            SELECT p.id AS PostId, p.create_at AS PostCreateAt, p.update_at AS PostUpdateAt, p.edit_at AS PostEditAt,
                   p.delete_at AS PostDeleteAt, c.team_id AS TeamId, coalesce(t.name, '') AS TeamName, p.channel_id AS ChannelId,
                   c.name AS ChannelName, c.type AS ChannelType, p.user_id AS UserId, coalesce(u.username, '') AS Username,
                   coalesce(u.email, '') AS UserEmail, p.root_id AS RootId, p.type AS PostType, p.message AS Message,
                   coalesce((SELECT string_agg(f.name || ' (' || f.path || ')', '; ' ORDER BY f.create_at, f.id)
                             FROM file_infos f WHERE f.post_id = p.id), '') AS Attachments
            FROM posts p
            JOIN channels c ON c.id = p.channel_id
            LEFT JOIN teams t ON t.id = c.team_id
            LEFT JOIN users u ON u.id = p.user_id
            WHERE (p.update_at, p.id) > (@cursorUpdateAt, @cursorPostId) AND p.update_at <= @end
            ORDER BY p.update_at, p.id
            LIMIT @batchSize
            """, new { cursorUpdateAt, cursorPostId, end, batchSize }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Opens for appending at <paramref name="length"/>, dropping whatever a killed attempt wrote after its checkpoint.</summary>
    private static FileStream OpenAt(string path, long length)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        if (stream.Length < length)
        {
            stream.Dispose();
            throw new InvalidOperationException($"{path} is shorter ({stream.Length} bytes) than its checkpoint ({length} bytes); the export cannot resume.");
        }
        stream.SetLength(length);
        stream.Seek(length, SeekOrigin.Begin);
        return stream;
    }

    private static Task WriteAsync(FileStream stream, string text, CancellationToken cancellationToken) =>
        stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();

    private static long Long(string? value) => long.Parse(value ?? "0", CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record ExportRow
    {
        public required string PostId { get; init; }
        public long PostCreateAt { get; init; }
        public long PostUpdateAt { get; init; }
        public long PostEditAt { get; init; }
        public long PostDeleteAt { get; init; }
        public string TeamId { get; init; } = "";
        public string TeamName { get; init; } = "";
        public string ChannelId { get; init; } = "";
        public string ChannelName { get; init; } = "";
        public string ChannelType { get; init; } = "";
        public string UserId { get; init; } = "";
        public string Username { get; init; } = "";
        public string UserEmail { get; init; } = "";
        public string RootId { get; init; } = "";
        public string PostType { get; init; } = "";
        public string Message { get; init; } = "";
        /// <summary>The post's files as "name (path in the file store)", separated by "; ".</summary>
        public string Attachments { get; init; } = "";

        public IEnumerable<string> Fields() =>
        [
            PostId, Text(PostCreateAt), Text(PostUpdateAt), Text(PostEditAt), Text(PostDeleteAt), TeamId, TeamName,
            ChannelId, ChannelName, ChannelType, UserId, Username, UserEmail, RootId, PostType, Message, Attachments,
        ];
    }

    [LoggerMessage(LogLevel.Information, "Message export job {JobId}: {Count} post(s) exported to {File}")]
    private partial void LogExported(string jobId, long count, string file);
}
