using Chat.Configuration;
using Chat.Jobs.Core;
using Chat.ServiceDefaults;
using Npgsql;

namespace Chat.Jobs.Workers;

/// <summary>
/// Runs jobs on this node (JobSettings.RunJobs), one at a time: every poll it first returns stale jobs to the
/// queue (any node may; it is one compare-and-set statement), then claims the next pending job of a registered
/// type and runs its worker to a final status. Every jobs node runs one, so work continues while any is alive.
/// </summary>
public sealed partial class WorkerHost(
    IServiceProvider services, JobStore jobs, JobTypeRegistry registry, ChatConfig config, NodeInfo node, ILogger<WorkerHost> logger)
    : BackgroundService
{
    /// <summary>A job whose worker went away this many times is failed rather than retried again.</summary>
    public const int MaxAttempts = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                foreach (var job in await jobs.RecoverStaleAsync(TimeSpan.FromSeconds(config.JobSettings.StaleJobAfterSeconds), MaxAttempts, stoppingToken))
                {
                    LogRecovered(job.Type, job.Id, job.Status);
                }
                if (await jobs.ClaimAsync(registry.Names, node.NodeId, stoppingToken) is { } claim)
                {
                    worked = true;
                    await RunAsync(claim, stoppingToken);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(e.Message);
            }
            if (!worked)
            {
                try
                {
                    await Task.Delay(config.JobSettings.PollIntervalMilliseconds, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    private async Task RunAsync(JobClaim claim, CancellationToken stoppingToken)
    {
        var type = registry.Find(claim.Job.Type)!;
        var worker = (IJobWorker)services.GetRequiredService(type.Worker);
        LogStarted(claim.Job.Type, claim.Job.Id, claim.Attempt);
        await using var run = new JobRun(claim, jobs, TimeSpan.FromSeconds(config.JobSettings.StaleJobAfterSeconds) / 3, stoppingToken);
        try
        {
            var status = await worker.RunAsync(run);
            await run.FinishAsync(status, 100);
            LogFinished(claim.Job.Type, claim.Job.Id, status);
        }
        catch (OperationCanceledException) when (run.CancelRequested)
        {
            await run.FinishAsync(JobStatus.Canceled, run.Progress);
            LogFinished(claim.Job.Type, claim.Job.Id, JobStatus.Canceled);
        }
        catch (OperationCanceledException) when (run.ClaimLost)
        {
            LogClaimLost(claim.Job.Type, claim.Job.Id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Not failed: the node is stopping. Another worker resumes it from its checkpoint.
            await run.ReleaseAsync();
            LogInterrupted(claim.Job.Type, claim.Job.Id);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run.Set("error", e.Message);
            LogFailed(e, claim.Job.Type, claim.Job.Id);
            await run.FinishAsync(JobStatus.Error, run.Progress);
        }
    }

    [LoggerMessage(LogLevel.Information, "Started {Type} job {JobId} (attempt {Attempt})")]
    private partial void LogStarted(string type, string jobId, int attempt);

    [LoggerMessage(LogLevel.Information, "{Type} job {JobId} ended: {Status}")]
    private partial void LogFinished(string type, string jobId, string status);

    [LoggerMessage(LogLevel.Warning, "{Type} job {JobId} was taken from this worker (declared stale); stopped")]
    private partial void LogClaimLost(string type, string jobId);

    [LoggerMessage(LogLevel.Information, "{Type} job {JobId} interrupted by shutdown; another worker resumes it")]
    private partial void LogInterrupted(string type, string jobId);

    [LoggerMessage(LogLevel.Error, "{Type} job {JobId} failed")]
    private partial void LogFailed(Exception e, string type, string jobId);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} ({Type}) lost its worker; now {Status}")]
    private partial void LogRecovered(string type, string jobId, string status);

    [LoggerMessage(LogLevel.Warning, "Polling for jobs failed: {Reason}")]
    private partial void LogPollFailed(string reason);
}
