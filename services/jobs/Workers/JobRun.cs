using Chat.Jobs.Core;

namespace Chat.Jobs.Workers;

/// <summary>
/// One claimed job while its worker runs it. Its data (<see cref="Get"/>, <see cref="Set"/>) starts as the last
/// attempt left it (a resumed job finds its checkpoint there); <see cref="ReportAsync"/> saves it with the progress. A keep-alive
/// records activity in between, so only a dead or cut-off worker goes stale. <see cref="Cancellation"/> fires when
/// an admin asks to cancel, when the claim is lost (the job was declared stale and given to another worker) and
/// when the node stops.
/// </summary>
public sealed class JobRun : IAsyncDisposable
{
    private readonly JobStore store;
    private readonly CancellationTokenSource cancel;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Task keepAlive;
    private readonly Dictionary<string, string> data;
    private long reportedProgress;

    internal JobRun(JobClaim claim, JobStore store, TimeSpan keepAliveInterval, CancellationToken stopping)
    {
        Claim = claim;
        this.store = store;
        data = new Dictionary<string, string>(claim.Job.Data, StringComparer.Ordinal);
        Progress = reportedProgress = claim.Job.Progress;
        cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        keepAlive = KeepAliveAsync(keepAliveInterval);
    }

    public JobClaim Claim { get; }

    public Job Job => Claim.Job;

    public string? Get(string key)
    {
        lock (data)
        {
            return data.GetValueOrDefault(key);
        }
    }

    /// <summary>Sets a data value (saved with the next report or the final status).</summary>
    public void Set(string key, string value)
    {
        lock (data)
        {
            data[key] = value;
        }
    }

    /// <summary>Percent done, 0 to 100.</summary>
    public long Progress { get; set; }

    public CancellationToken Cancellation => cancel.Token;

    public bool CancelRequested { get; private set; }

    public bool ClaimLost { get; private set; }

    /// <summary>Saves progress and data (the checkpoint); admins hear of it when the percentage moved. Throws once canceled.</summary>
    public async Task ReportAsync()
    {
        await SaveAsync(notify: true);
        cancel.Token.ThrowIfCancellationRequested();
    }

    internal Task<Job?> FinishAsync(string status, long progress) =>
        store.FinishAsync(Claim, status, progress, Snapshot(), CancellationToken.None);

    /// <summary>Hands the job back to the queue (this node is stopping); it resumes from its last checkpoint.</summary>
    internal Task ReleaseAsync() => store.ReleaseAsync(Claim, CancellationToken.None);

    private async Task SaveAsync(bool notify)
    {
        await gate.WaitAsync(CancellationToken.None);
        try
        {
            var progress = Math.Clamp(Progress, 0, 100);
            var status = await store.ReportAsync(Claim, progress, Snapshot(), notify && progress != reportedProgress, CancellationToken.None);
            reportedProgress = progress;
            if (status is null)
            {
                ClaimLost = true;
                await cancel.CancelAsync();
            }
            else if (status == JobStatus.CancelRequested)
            {
                CancelRequested = true;
                await cancel.CancelAsync();
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private Dictionary<string, string> Snapshot()
    {
        lock (data)
        {
            return new Dictionary<string, string>(data, StringComparer.Ordinal);
        }
    }

    private async Task KeepAliveAsync(TimeSpan interval)
    {
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                await Task.Delay(interval, cancel.Token);
                await SaveAsync(notify: false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            // The worker's own reports fail the same way and end the run; the job goes stale and is retried.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await cancel.CancelAsync();
        await keepAlive;
        cancel.Dispose();
        gate.Dispose();
    }
}
