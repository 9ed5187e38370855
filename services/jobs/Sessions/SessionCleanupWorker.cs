using System.Globalization;
using Chat.Jobs.Core;
using Chat.Jobs.Workers;
using Chat.Store.Postgres;

namespace Chat.Jobs.Sessions;

/// <summary>
/// session_cleanup: deletes sessions that have ended — expired, or web sessions idle past
/// ServiceSettings.SessionIdleTimeoutInMinutes — in batches (Mattermost's session cleanup). Nodes refuse them
/// already; this keeps the table to the sessions that can still be used.
/// </summary>
public sealed partial class SessionCleanupWorker(SessionStore sessions, ILogger<SessionCleanupWorker> logger) : IJobWorker
{
    private const int BatchSize = 1000;

    public async Task<string> RunAsync(JobRun run)
    {
        var now = ChatDatabase.NowMs();
        long removed = 0;
        while (true)
        {
            var batch = await sessions.DeleteEndedAsync(now, BatchSize, run.Cancellation);
            removed += batch;
            run.Set("removed_sessions", removed.ToString(CultureInfo.InvariantCulture));
            await run.ReportAsync();
            if (batch < BatchSize)
            {
                break;
            }
        }
        LogDone(run.Job.Id, removed);
        return JobStatus.Success;
    }

    [LoggerMessage(LogLevel.Information, "Session cleanup job {JobId}: {Count} ended session(s) deleted")]
    private partial void LogDone(string jobId, long count);
}
