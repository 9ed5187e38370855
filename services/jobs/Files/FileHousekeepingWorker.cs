using System.Globalization;
using Chat.Configuration;
using Chat.FileStorage;
using Chat.Jobs.Core;
using Chat.Jobs.Workers;
using Chat.Store.Postgres;

namespace Chat.Jobs.Files;

/// <summary>
/// file_housekeeping: uploads that no post claimed within FileSettings.UnattachedFileRetentionHours are removed,
/// their rows first (so a post can no longer claim them), then their stored files, thumbnails and previews. On the
/// local driver it also removes what nodes killed mid-upload left behind.
/// </summary>
public sealed partial class FileHousekeepingWorker(FileInfoStore files, IFileStore store, ChatConfig config, ILogger<FileHousekeepingWorker> logger) : IJobWorker
{
    private const int BatchSize = 500;

    public async Task<string> RunAsync(JobRun run)
    {
        var cancellation = run.Cancellation;
        var before = DateTimeOffset.UtcNow.AddHours(-config.FileSettings.UnattachedFileRetentionHours).ToUnixTimeMilliseconds();
        long removed = 0;
        while (true)
        {
            var batch = await files.DeleteUnattachedAsync(before, BatchSize, cancellation);
            foreach (var info in batch)
            {
                foreach (var path in new[] { info.Path, info.ThumbnailPath, info.PreviewPath }.Where(p => p.Length > 0))
                {
                    await store.DeleteAsync(path, cancellation);
                }
            }
            removed += batch.Count;
            run.Set("removed_files", removed.ToString(CultureInfo.InvariantCulture));
            await run.ReportAsync();
            if (batch.Count < BatchSize)
            {
                break;
            }
        }
        if (store is LocalFileStore local)
        {
            run.Set("removed_leftovers", local.SweepLeftovers(TimeSpan.FromHours(1)).ToString(CultureInfo.InvariantCulture));
        }
        LogDone(run.Job.Id, removed);
        return JobStatus.Success;
    }

    [LoggerMessage(LogLevel.Information, "File housekeeping job {JobId}: {Count} unattached upload(s) removed")]
    private partial void LogDone(string jobId, long count);
}
