using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.FileStorage;
using Chat.Jobs.Core;
using Chat.Jobs.Workers;
using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Jobs.Retention;

/// <summary>
/// data_retention: permanently deletes posts older than their retention, in batches of
/// DataRetentionSettings.BatchSize with TimeBetweenBatchesMilliseconds between them. A channel's policy wins over
/// its team's, a team's over the global setting (MessageRetentionHours, else MessageRetentionDays, applied while
/// EnableMessageDeletion is on); a negative policy duration keeps posts for ever. Each batch deletes its rows and
/// records a post_deleted event per post in one transaction (the outbox), so clients drop exactly the posts that
/// are gone. Expiry is judged by the database clock at the job's start, so a resumed job deletes the same set.
/// </summary>
public sealed partial class DataRetentionWorker(NpgsqlDataSource db, IEventBus bus, RetentionPolicyStore policies, IFileStore files, ChatConfig config, ILogger<DataRetentionWorker> logger)
    : IJobWorker
{
    private const string Columns = "p.id, p.create_at, p.update_at, p.edit_at, p.delete_at, p.is_pinned, p.user_id, p.channel_id, p.root_id, p.original_id, p.message, p.type, p.props::text AS props, p.hashtags, p.has_reactions";
    private const long DayMs = 86_400_000;

    public async Task<string> RunAsync(JobRun run)
    {
        var cancellation = run.Cancellation;
        var settings = config.DataRetentionSettings;
        if (run.Get("start_ms") is not { } start)
        {
            await using var connection = await db.OpenConnectionAsync(cancellation);
            start = (await connection.ExecuteScalarAsync<long>("SELECT (extract(epoch FROM now()) * 1000)::bigint")).ToString(System.Globalization.CultureInfo.InvariantCulture);
            run.Set("start_ms", start);
        }
        var passes = Passes(long.Parse(start, System.Globalization.CultureInfo.InvariantCulture), settings, await policies.ScopesAsync(cancellation));
        var deleted = long.Parse(run.Get("deleted_posts") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var remaining = 0L;
        foreach (var pass in passes)
        {
            remaining += await CountAsync(pass, cancellation);
        }
        var total = deleted + remaining;
        foreach (var pass in passes)
        {
            while (true)
            {
                var batch = await DeleteBatchAsync(pass, settings.BatchSize, cancellation);
                deleted += batch;
                run.Set("deleted_posts", deleted.ToString(System.Globalization.CultureInfo.InvariantCulture));
                run.Progress = total == 0 ? 100 : Math.Min(99, deleted * 100 / total);
                await run.ReportAsync();
                if (batch < settings.BatchSize)
                {
                    break;
                }
                if (settings.TimeBetweenBatchesMilliseconds > 0)
                {
                    await Task.Delay(settings.TimeBetweenBatchesMilliseconds, cancellation);
                }
            }
        }
        LogDone(run.Job.Id, deleted, passes.Count);
        return JobStatus.Success;
    }

    /// <summary>One sweep: posts matching <see cref="Scope"/> (SQL over p, with @Channels/@Teams) created before <see cref="CutoffMs"/>.</summary>
    private sealed record Pass(string Scope, long CutoffMs, string[] Channels, string[] Teams);

    private static List<Pass> Passes(long nowMs, DataRetentionSettings settings, IReadOnlyList<RetentionScope> scopes)
    {
        var passes = new List<Pass>();
        foreach (var policy in scopes.Where(s => s.PostDuration >= 0))
        {
            var cutoff = nowMs - policy.PostDuration * DayMs;
            if (policy.ChannelIds.Count > 0)
            {
                passes.Add(new Pass("p.channel_id = ANY(@Channels)", cutoff, [.. policy.ChannelIds], []));
            }
            if (policy.TeamIds.Count > 0)
            {
                passes.Add(new Pass("""
                    p.channel_id IN (SELECT id FROM channels WHERE team_id = ANY(@Teams))
                    AND p.channel_id NOT IN (SELECT channel_id FROM retention_policy_channels)
                    """, cutoff, [], [.. policy.TeamIds]));
            }
        }
        if (settings.EnableMessageDeletion)
        {
            var retention = settings.MessageRetentionHours > 0 ? settings.MessageRetentionHours * 3_600_000L : settings.MessageRetentionDays * DayMs;
            passes.Add(new Pass("""
                p.channel_id NOT IN (SELECT channel_id FROM retention_policy_channels)
                AND p.channel_id NOT IN (SELECT c.id FROM channels c JOIN retention_policy_teams t ON t.team_id = c.team_id)
                """, nowMs - retention, [], []));
        }
        return passes;
    }

    private async Task<long> CountAsync(Pass pass, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM posts p WHERE p.create_at < @CutoffMs AND {pass.Scope}", pass, cancellationToken: cancellationToken));
    }

    private async Task<int> DeleteBatchAsync(Pass pass, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var posts = (await connection.QueryAsync<Post>(new CommandDefinition($"""
            WITH doomed AS (
                SELECT p.id FROM posts p WHERE p.create_at < @CutoffMs AND {pass.Scope}
                ORDER BY p.create_at LIMIT @BatchSize FOR UPDATE SKIP LOCKED)
            DELETE FROM posts p USING doomed WHERE p.id = doomed.id
            RETURNING {Columns}
            """, new { pass.CutoffMs, pass.Channels, pass.Teams, BatchSize = batchSize }, tx, cancellationToken: cancellationToken))).AsList();
        var stored = new List<string>();
        if (posts.Count > 0)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await bus.PublishAsync(tx, [.. posts.Select(p => WebSocketEvents.PostDeleted.Create(p with { DeleteAt = now, UpdateAt = now }))], cancellationToken);
            // The posts' files go with them: their rows in this transaction, their stored files once it committed.
            var attached = await connection.QueryAsync<(string Path, string ThumbnailPath, string PreviewPath)>(new CommandDefinition(
                "DELETE FROM file_infos WHERE post_id = ANY(@ids) RETURNING path, thumbnail_path, preview_path",
                new { ids = posts.Select(p => p.Id).ToArray() }, tx, cancellationToken: cancellationToken));
            stored.AddRange(attached.SelectMany(f => new[] { f.Path, f.ThumbnailPath, f.PreviewPath }).Where(p => p.Length > 0));
        }
        await tx.CommitAsync(cancellationToken);
        foreach (var path in stored)
        {
            await files.DeleteAsync(path, cancellationToken);
        }
        return posts.Count;
    }

    [LoggerMessage(LogLevel.Information, "Data retention job {JobId}: {Deleted} post(s) deleted in {Passes} pass(es)")]
    private partial void LogDone(string jobId, long deleted, int passes);
}
