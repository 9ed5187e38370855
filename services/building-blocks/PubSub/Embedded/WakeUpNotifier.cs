using System.Threading.Channels;
using Chat.SchemaMigrations;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Chat.BuildingBlocks.PubSub.Embedded;

/// <summary>
/// Wakes the readers after events commit, with as few NOTIFYs as possible.
///
/// Publishing transactions never NOTIFY themselves: PostgreSQL serialises the commits of notifying transactions
/// on one global lock, held through the commit's WAL flush, so a NOTIFY per publishing transaction would cap the
/// whole cluster's publishing rate. Instead this process sends the wake-ups from a connection of its own:
/// <list type="bullet">
/// <item>Coalescing: at most one NOTIFY in flight and at most one per <c>NotifyMinInterval</c>; everything that
/// committed meanwhile shares the next one. Under a burst the count of NOTIFYs is bounded by time, not by events.
/// A NOTIFY-only transaction commits with synchronous_commit off: it carries no data, so it need not wait for the
/// flush, and holds the global lock only briefly. The payload is empty: the log is the message, NOTIFY a doorbell.</item>
/// <item>Per topic: a ring notifies the channel of each topic that was published (see <see cref="ChannelFor"/>), plus
/// <see cref="Channel"/> for readers that follow every topic, so a process is not woken to read events of topics it
/// does not subscribe to (jobs nodes and posts, say).</item>
/// <item>Commits we do not perform (events written in a caller's transaction): each such transaction holds an
/// exclusive transaction-scoped advisory lock keyed by its id; a waiter blocks on a shared lock on the key of the
/// oldest such transaction and so wakes exactly when it ends, then rings. Waiting on the oldest first loses
/// nothing: readers cannot pass an open transaction's id anyway (see <see cref="EventLogReader"/>).</item>
/// </list>
/// A lost wake-up (this process dies between a commit and its NOTIFY) only delays delivery until the readers'
/// next poll.
/// </summary>
internal sealed partial class WakeUpNotifier(NpgsqlDataSource dataSource, TimeSpan minInterval, ILogger logger)
{
    /// <summary>The channel of readers that follow every topic.</summary>
    public const string Channel = "cluster_events";

    private readonly Channel<bool> ring = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<bool> watch = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SortedDictionary<long, string[]> openTransactions = [];
    private readonly HashSet<string> pendingChannels = [];

    /// <summary>
    /// The wake-up channel of one topic (a quoted identifier for LISTEN). Channel names end at 63 bytes, so long
    /// topic names are hashed.
    /// </summary>
    public static string ChannelFor(string topic) =>
        topic.Length <= 40
            ? $"{Channel}.{topic}"
            : $"{Channel}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(topic)))[..40]}";

    /// <summary>The second advisory-lock key of a transaction; SQL twin in <see cref="TransactionKeySql"/>.</summary>
    public static int TransactionKey(long txid) => (int)(txid % int.MaxValue);

    public const string TransactionKeySql = "(pg_current_xact_id()::text::bigint % 2147483647)::int";

    /// <summary>Events of these topics committed: ring soon.</summary>
    public void Ring(IEnumerable<string> topics)
    {
        lock (pendingChannels)
        {
            foreach (var topic in topics)
            {
                pendingChannels.Add(ChannelFor(topic));
            }
        }
        ring.Writer.TryWrite(true);
    }

    /// <summary>Events of these topics were written in transaction <paramref name="txid"/>, which holds its advisory lock: ring when it ends.</summary>
    public void RingWhenEnded(long txid, IEnumerable<string> topics)
    {
        lock (openTransactions)
        {
            openTransactions[txid] = [.. topics.Distinct(StringComparer.Ordinal)];
        }
        watch.Writer.TryWrite(true);
    }

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(RingLoopAsync(cancellationToken), WatchLoopAsync(cancellationToken));

    private async Task RingLoopAsync(CancellationToken cancellationToken)
    {
        var last = DateTime.MinValue;
        while (await WaitAsync(ring.Reader, cancellationToken))
        {
            var wait = last + minInterval - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            // Whatever rings from here on needs another NOTIFY; what rang before is covered by this one.
            ring.Reader.TryRead(out _);
            string[] channels;
            lock (pendingChannels)
            {
                channels = [Channel, .. pendingChannels];
                pendingChannels.Clear();
            }
            try
            {
                await using var command = dataSource.CreateCommand("SELECT set_config('synchronous_commit', 'off', true), count(pg_notify(c, '')) FROM unnest($1) AS c");
                command.Parameters.Add(new NpgsqlParameter { Value = channels, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogRingFailed(e.Message);
            }
            last = DateTime.UtcNow;
        }
    }

    private async Task WatchLoopAsync(CancellationToken cancellationToken)
    {
        while (await WaitAsync(watch.Reader, cancellationToken))
        {
            watch.Reader.TryRead(out _);
            while (Oldest() is { } oldest)
            {
                try
                {
                    var ended = await WaitForEndAsync(oldest, cancellationToken);
                    var topics = new List<string>();
                    lock (openTransactions)
                    {
                        foreach (var txid in ended)
                        {
                            if (openTransactions.Remove(txid, out var published))
                            {
                                topics.AddRange(published);
                            }
                        }
                    }
                    Ring(topics);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    // A transaction open longer than the command timeout, or a lost connection: look again.
                    LogWatchFailed(e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                }
            }
        }
    }

    /// <summary>Blocks until <paramref name="oldest"/> ends, then returns it and every other watched transaction that has ended.</summary>
    private async Task<List<long>> WaitForEndAsync(long oldest, CancellationToken cancellationToken)
    {
        long[] others;
        lock (openTransactions)
        {
            others = [.. openTransactions.Keys.Where(t => t != oldest)];
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One implicit transaction: the shared locks are released when the batch completes.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock_shared($1, $2)")
                {
                    Parameters = { new NpgsqlParameter { Value = AdvisoryLockKeys.EventPublishingTransactions }, new NpgsqlParameter { Value = TransactionKey(oldest) } },
                },
                new NpgsqlBatchCommand("SELECT t FROM unnest($2::bigint[]) AS t WHERE pg_try_advisory_xact_lock_shared($1, (t % 2147483647)::int)")
                {
                    Parameters = { new NpgsqlParameter { Value = AdvisoryLockKeys.EventPublishingTransactions }, new NpgsqlParameter { Value = others } },
                },
            },
            Timeout = 60,
        };
        var ended = new List<long> { oldest };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ended.Add(reader.GetInt64(0));
        }
        return ended;
    }

    private long? Oldest()
    {
        lock (openTransactions)
        {
            return openTransactions.Count > 0 ? openTransactions.First().Key : null;
        }
    }

    private static async Task<bool> WaitAsync(ChannelReader<bool> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not send the cluster-event wake-up ({Reason}); readers will find the events at their next poll")]
    private partial void LogRingFailed(string reason);

    [LoggerMessage(LogLevel.Debug, "Waiting for a publishing transaction to end failed ({Reason}); retrying")]
    private partial void LogWatchFailed(string reason);
}
