using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Plugins.Sdk;

/// <summary>
/// Coordination between the copies of a plugin on every node, built on the KV store with the semantics of
/// Mattermost's pluginapi/cluster: <see cref="ClusterMutex"/> (a KV key with an expiry, refreshed while held) and
/// <see cref="ClusterJob"/> (a callback run by at most one copy at a time, on an interval measured from when it
/// last finished anywhere in the cluster).
/// </summary>
public static class Cluster
{
    public static ClusterMutex NewMutex(PluginApi api, string key) => new(api, key);

    /// <summary>
    /// Starts a job named <paramref name="key"/> in this copy of the plugin: whichever copy holds the job's mutex
    /// when <paramref name="nextWaitInterval"/> says it is time runs <paramref name="callback"/>, then records
    /// <see cref="JobMetadata.LastFinished"/>. Call it from OnActivate on every node; close it in OnDeactivate.
    /// </summary>
    public static ClusterJob Schedule(PluginApi api, string key, NextWaitInterval nextWaitInterval, Func<CancellationToken, Task> callback) =>
        ClusterJob.Start(api, key, nextWaitInterval, callback);

    /// <summary>
    /// Runs <paramref name="interval"/> after the last run finished anywhere in the cluster (at once if it never ran):
    /// with a 5-minute interval and a first run at 12:01, next at 12:06, 12:11, …
    /// </summary>
    public static NextWaitInterval MakeWaitForInterval(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return (now, metadata) =>
        {
            var sinceLastFinished = now - metadata.LastFinished;
            return sinceLastFinished < interval ? interval - sinceLastFinished : TimeSpan.Zero;
        };
    }

    /// <summary>
    /// Runs at the first multiple of <paramref name="interval"/> (since the Unix epoch) after the last run finished
    /// plus the interval (at once if it never ran): with 5 minutes and a first run at 12:04, next at 12:05, 12:10, …
    /// Runs land on the rounded times; the time between two runs may be shorter than the interval.
    /// </summary>
    public static NextWaitInterval MakeWaitForRoundedInterval(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return (now, metadata) =>
        {
            if (metadata.LastFinished == default)
            {
                return TimeSpan.Zero;
            }
            var next = metadata.LastFinished + interval;
            var target = DateTimeOffset.FromUnixTimeMilliseconds(next.ToUnixTimeMilliseconds() / (long)interval.TotalMilliseconds * (long)interval.TotalMilliseconds);
            var untilTarget = target - now;
            return untilTarget > TimeSpan.Zero ? untilTarget : TimeSpan.Zero;
        };
    }

    /// <summary>How Mattermost spaces lock attempts: every second, doubling on errors up to 5 minutes, ± a quarter second of jitter.</summary>
    internal static TimeSpan NextLockAttempt(TimeSpan last, bool failed)
    {
        var next = last <= TimeSpan.Zero ? TimeSpan.FromSeconds(1) : last;
        next = failed ? TimeSpan.FromTicks(Math.Min(next.Ticks * 2, TimeSpan.FromMinutes(5).Ticks)) : TimeSpan.FromSeconds(1);
        return next + TimeSpan.FromMilliseconds(Random.Shared.Next(-250, 250));
    }
}

/// <summary>How long to wait before the job may run again, given the time and what the cluster recorded of it.</summary>
public delegate TimeSpan NextWaitInterval(DateTimeOffset now, JobMetadata metadata);

/// <summary>What the cluster records of a job, stored as Mattermost's pluginapi stores it (<c>{"LastFinished": …}</c>).</summary>
public sealed record JobMetadata
{
    /// <summary>When the job last finished anywhere in the cluster; default if it never ran.</summary>
    [JsonPropertyName("LastFinished")]
    public DateTimeOffset LastFinished { get; init; }
}

/// <summary>
/// A lock shared by every copy of the plugin: a KV key (<c>mutex_{key}</c>) written only if absent, with a 15 s
/// expiry that a background task refreshes every 7.5 s while the lock is held — so a holder that dies releases it
/// within 15 s. Unlike Mattermost's (whose value is always the same byte), the value is a token of this holder, so
/// a holder that stalled past the expiry cannot refresh or delete a lock another copy has taken since. Not
/// re-entrant. One instance guards one holding at a time.
/// </summary>
public sealed class ClusterMutex
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan RefreshInterval = Ttl / 2;

    private readonly PluginApi api;
    private readonly string key;
    private readonly Lock gate = new();
    private byte[]? token;
    private CancellationTokenSource? stopRefresh;
    private Task refreshing = Task.CompletedTask;

    internal ClusterMutex(PluginApi api, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        this.api = api;
        this.key = "mutex_" + key;
    }

    /// <summary>One attempt: true if this copy now holds the lock.</summary>
    public async Task<bool> TryLockAsync(CancellationToken cancellationToken = default)
    {
        var mine = Guid.NewGuid().ToByteArray();
        var options = new PluginKVSetOptions { Atomic = true, OldValue = null, ExpireInSeconds = (long)Ttl.TotalSeconds };
        if (!await api.KVSetWithOptions(key, mine, options, cancellationToken))
        {
            return false;
        }
        lock (gate)
        {
            token = mine;
            stopRefresh = new CancellationTokenSource();
            refreshing = RefreshAsync(mine, stopRefresh.Token);
        }
        return true;
    }

    /// <summary>Waits until this copy holds the lock (or <paramref name="cancellationToken"/> fires).</summary>
    public async Task LockAsync(CancellationToken cancellationToken = default)
    {
        var wait = TimeSpan.Zero;
        while (true)
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            bool failed;
            try
            {
                if (await TryLockAsync(cancellationToken))
                {
                    return;
                }
                failed = false;
            }
            catch (PluginApiException e)
            {
                api.LogError("failed to lock mutex", "err", e.Message, "lock_key", key);
                failed = true;
            }
            wait = Cluster.NextLockAttempt(wait, failed);
        }
    }

    /// <summary>Releases the lock (deletes the key if it is still this holder's; it expires anyway).</summary>
    public async Task UnlockAsync()
    {
        byte[] mine;
        CancellationTokenSource stop;
        Task refresh;
        lock (gate)
        {
            if (token is null || stopRefresh is null)
            {
                throw new InvalidOperationException("The mutex is not locked.");
            }
            (mine, stop, refresh) = (token, stopRefresh, refreshing);
            token = null;
            stopRefresh = null;
        }
        await stop.CancelAsync();
        await refresh;
        stop.Dispose();
        try
        {
            await api.KVSetWithOptions(key, null, new PluginKVSetOptions { Atomic = true, OldValue = mine });
        }
        catch (PluginApiException)
        {
            // The key expires on its own.
        }
    }

    private async Task RefreshAsync(byte[] mine, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var options = new PluginKVSetOptions { Atomic = true, OldValue = mine, ExpireInSeconds = (long)Ttl.TotalSeconds };
                if (!await api.KVSetWithOptions(key, mine, options, stop))
                {
                    api.LogError("failed to refresh mutex: another holder has it", "lock_key", key);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (PluginApiException e)
        {
            api.LogError("failed to refresh mutex", "err", e.Message, "lock_key", key);
        }
    }
}

/// <summary>A scheduled job of this copy of the plugin (see <see cref="Cluster.Schedule"/>).</summary>
public sealed class ClusterJob : IAsyncDisposable
{
    private readonly PluginApi api;
    private readonly string key;
    private readonly ClusterMutex mutex;
    private readonly NextWaitInterval nextWaitInterval;
    private readonly Func<CancellationToken, Task> callback;
    private readonly CancellationTokenSource stop = new();
    private Task running = Task.CompletedTask;

    private ClusterJob(PluginApi api, string key, NextWaitInterval nextWaitInterval, Func<CancellationToken, Task> callback)
    {
        this.api = api;
        this.key = "cron_" + key;
        mutex = new ClusterMutex(api, this.key);
        this.nextWaitInterval = nextWaitInterval;
        this.callback = callback;
    }

    internal static ClusterJob Start(PluginApi api, string key, NextWaitInterval nextWaitInterval, Func<CancellationToken, Task> callback)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var job = new ClusterJob(api, key, nextWaitInterval, callback);
        job.running = Task.Run(job.RunAsync);
        return job;
    }

    /// <summary>Stops scheduling the job in this copy; waits for a run in progress (its token is cancelled).</summary>
    public async Task CloseAsync()
    {
        await stop.CancelAsync();
        await running;
    }

    public ValueTask DisposeAsync() => new(CloseAsync());

    private async Task RunAsync()
    {
        var wait = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop.Token);
                }
                // Hold the job's lock throughout: reading the metadata, running, recording the finish.
                await mutex.LockAsync(stop.Token);
                try
                {
                    wait = await RunIfDueAsync();
                }
                finally
                {
                    await mutex.UnlockAsync();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is PluginApiException or JsonException)
            {
                api.LogError("failed to run job", "err", e.Message, "key", key);
                wait = Cluster.NextLockAttempt(wait, failed: true);
            }
        }
    }

    private async Task<TimeSpan> RunIfDueAsync()
    {
        var stored = await api.KVGet(key, stop.Token);
        var metadata = stored is null ? new JobMetadata() : JsonSerializer.Deserialize<JobMetadata>(stored) ?? new JobMetadata();
        var wait = nextWaitInterval(DateTimeOffset.UtcNow, metadata);
        if (wait > TimeSpan.Zero)
        {
            return wait;
        }
        try
        {
            await callback(stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            // A failed run still counts as a run: retrying at once would hammer whatever made it fail.
            api.LogError("job callback failed", "err", e.Message, "key", key);
        }
        metadata = metadata with { LastFinished = DateTimeOffset.UtcNow };
        await api.KVSet(key, JsonSerializer.SerializeToUtf8Bytes(metadata), CancellationToken.None);
        return nextWaitInterval(DateTimeOffset.UtcNow, metadata);
    }
}
