using System.Globalization;
using Chat.Configuration;
using Chat.Jobs.Core;
using Chat.Jobs.Workers;
using Chat.Store.Postgres;

namespace Chat.Jobs.Search;

/// <summary>
/// search_indexing: fills posts.search_vector (the GIN-indexed full-text vector that POST /teams/{id}/posts/search
/// matches) for posts that have none — bulk-loaded or imported rows — in batches of SearchIndexingSettings.BatchSize,
/// until none is left. A job created with data <c>rebuild: "true"</c> recomputes every post's vector instead, in id
/// order from a cursor saved with each batch, so a resumed rebuild continues where its last checkpoint left it.
/// Posts written through the API get their vector in the same statement, so the scheduled run mostly finds nothing.
/// A run that indexed anything refreshes the table's statistics, so searches use the index at once.
/// </summary>
public sealed partial class SearchIndexingWorker(PostSearchStore search, ChatConfig config, ILogger<SearchIndexingWorker> logger) : IJobWorker
{
    public async Task<string> RunAsync(JobRun run)
    {
        var cancellation = run.Cancellation;
        var settings = config.SearchIndexingSettings;
        var rebuild = run.Get("rebuild") == "true";
        var indexed = Long(run.Get("indexed_posts"));
        if (run.Get("total_posts") is null)
        {
            run.Set("total_posts", Text(rebuild ? await search.CountAsync(cancellation) : await search.CountUnindexedAsync(cancellation)));
        }
        var total = Long(run.Get("total_posts"));
        while (true)
        {
            int batch;
            if (rebuild)
            {
                (batch, var lastId) = await search.ReindexBatchAsync(run.Get("cursor_post_id") ?? "", settings.BatchSize, cancellation);
                run.Set("cursor_post_id", lastId);
            }
            else
            {
                batch = await search.IndexBatchAsync(settings.BatchSize, cancellation);
            }
            indexed += batch;
            run.Set("indexed_posts", Text(indexed));
            run.Progress = total == 0 ? 99 : Math.Min(99, indexed * 100 / total);
            await run.ReportAsync();
            // Fewer than asked: nothing left (rows a concurrent write held locked are left to the next run).
            if (batch < settings.BatchSize)
            {
                break;
            }
            if (settings.TimeBetweenBatchesMilliseconds > 0)
            {
                await Task.Delay(settings.TimeBetweenBatchesMilliseconds, cancellation);
            }
        }
        if (indexed > 0)
        {
            await search.AnalyzeAsync(cancellation);
        }
        LogDone(run.Job.Id, indexed, rebuild);
        return JobStatus.Success;
    }

    private static long Long(string? value) => long.Parse(value ?? "0", CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(LogLevel.Information, "Search indexing job {JobId}: {Count} post(s) indexed (rebuild: {Rebuild})")]
    private partial void LogDone(string jobId, long count, bool rebuild);
}
