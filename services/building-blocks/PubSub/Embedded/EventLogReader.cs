using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Chat.BuildingBlocks.PubSub.Embedded;

/// <summary>
/// Follows cluster_events for one process: reads in log order from its own cursor, hands each event to
/// <c>deliver</c>, and sleeps on LISTEN (the wake-up channels of its topics) until woken or the poll interval passes.
///
/// No event is ever skipped. Positions come from a sequence at insert time, so with concurrent publishers
/// position 11 can commit and be read while position 10 is still in flight; a cursor on position alone would then
/// pass 10 for good. So each row also records its transaction id (txid), and a reader only reads rows whose txid is
/// below the xmin of the snapshot its query runs with: every transaction with a smaller id has ended, so every such
/// row that will ever exist is already visible. It reads them in (txid, position) order and advances its cursor to
/// (xmin, 0) once it has read everything below xmin: any row that commits later belongs to a transaction at or above
/// that xmin, so it sorts after the cursor. The order is a total order that respects causality (a transaction
/// that starts after another commits gets a larger id). This beats a commit-order sequencer (a second write of every
/// row and a single writer) and locking publishers (serialised transactions); its price is that delivery waits
/// for the oldest open writing transaction in the database, so long writing transactions anywhere delay events: keep
/// them short. While committed events wait behind such a transaction (which may not publish, so no NOTIFY will
/// come), the reader polls with back-off and warns if the wait gets long.
/// </summary>
internal sealed partial class EventLogReader(
    NpgsqlDataSource dataSource,
    EmbeddedPubSubOptions options,
    string? consumerName,
    Func<IReadOnlyCollection<string>?> topics,
    Func<EventCursor, ClusterEvent, CancellationToken, Task> deliver,
    ILogger logger,
    EventCursor? start = null,
    bool includeExpired = false,
    Func<CancellationToken>? topicsChanged = null)
{
    // xmin is read from the statement's own snapshot (pg_current_snapshot() is the active snapshot, the same for
    // every call in one statement), so "every transaction below xmin has ended" holds for the rows this statement sees.
    private const string ReadSql = """
        SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
               EXISTS (SELECT 1 FROM cluster_events p WHERE p.txid >= pg_snapshot_xmin(pg_current_snapshot())),
               e.txid::text::bigint, e.position, e.id, e.topic, e.type, e.data::text, e.traceparent, e.created_at,
               ceil(extract(epoch FROM e.expires_at - now()) * 1000)::bigint
        FROM (VALUES (1)) AS one (n) LEFT JOIN LATERAL (
            SELECT c.* FROM cluster_events c
            WHERE (c.txid, c.position) > ($1::text::xid8, $2)
              AND c.txid < pg_snapshot_xmin(pg_current_snapshot())
              AND ($3::text[] IS NULL OR c.topic = ANY($3))
              AND ($5 OR c.expires_at IS NULL OR c.expires_at > now())
            ORDER BY c.txid, c.position
            LIMIT $4) e ON true
        ORDER BY e.txid, e.position
        """;

    private static readonly TimeSpan HeldWarning = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CursorRefresh = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);

    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EventCursor? cursor = start;
    private EventCursor savedCursor;
    private DateTime savedAt;
    private volatile bool woken;
    private TimeSpan retry = FirstRetry;

    /// <summary>Completes once the reader listens and has its starting position: events published after that reach it.</summary>
    public Task Ready => ready.Task;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await FollowAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogConnectionLost(e, consumerName ?? "(this process)", retry.TotalMilliseconds);
                try
                {
                    await Task.Delay(retry, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                retry = TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, 5_000));
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        ready.TrySetCanceled(cancellationToken);
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        connection.Notification += (_, _) => woken = true;
        var listening = new HashSet<string>(StringComparer.Ordinal);
        // Listening before reading: a commit after this read is announced to us. The token is taken before the topics
        // are read, so a subscription made in between cancels it and is listened to before the next read.
        var listenedFor = topicsChanged?.Invoke() ?? CancellationToken.None;
        await ListenAsync(connection, listening, cancellationToken);
        cursor ??= await StartingCursorAsync(connection, cancellationToken);
        ready.TrySetResult();
        retry = FirstRetry;

        var heldDelay = TimeSpan.Zero;
        DateTime? heldSince = null;
        var lastWarning = DateTime.MinValue;
        var lastRead = 0L;
        var caughtUp = true;
        while (true)
        {
            // Under a stream of commits every wake-up would cost a query per reader per NOTIFY; a reader that read
            // moments ago waits out the rest of ReadMinInterval instead, and its next read takes everything that
            // committed meanwhile. An idle reader (the usual case for a single post) reads at once.
            var since = Stopwatch.GetElapsedTime(lastRead);
            if (caughtUp && lastRead != 0 && since < options.ReadMinInterval)
            {
                await Task.Delay(options.ReadMinInterval - since, cancellationToken);
            }
            lastRead = Stopwatch.GetTimestamp();
            woken = false;
            if (listenedFor.IsCancellationRequested)
            {
                listenedFor = topicsChanged!.Invoke();
                await ListenAsync(connection, listening, cancellationToken);
            }
            var (delivered, full, held) = await ReadBatchAsync(connection, cancellationToken);
            await SaveCursorAsync(connection, delivered > 0, cancellationToken);
            caughtUp = !full;
            if (full)
            {
                continue;
            }
            if (held)
            {
                heldSince ??= DateTime.UtcNow;
                heldDelay = TimeSpan.FromMilliseconds(Math.Clamp(heldDelay.TotalMilliseconds * 2, 2, 100));
                if (DateTime.UtcNow - heldSince > HeldWarning && DateTime.UtcNow - lastWarning > TimeSpan.FromMinutes(1))
                {
                    lastWarning = DateTime.UtcNow;
                    await WarnHeldAsync(connection, DateTime.UtcNow - heldSince.Value, cancellationToken);
                }
            }
            else
            {
                heldSince = null;
                heldDelay = TimeSpan.Zero;
            }
            if (woken)
            {
                continue;
            }
            // A topic subscribed meanwhile is announced on a channel not listened to yet: stop waiting and listen.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, listenedFor);
            try
            {
                await connection.WaitAsync(held ? heldDelay : options.PollInterval, wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Listens to the wake-up channels of the topics subscribed now (all topics: the common channel) and no others.</summary>
    private async Task ListenAsync(NpgsqlConnection connection, HashSet<string> listening, CancellationToken cancellationToken)
    {
        var wanted = topics() is { } subscribed ? subscribed.Select(WakeUpNotifier.ChannelFor).ToHashSet(StringComparer.Ordinal) : [WakeUpNotifier.Channel];
        if (wanted.SetEquals(listening))
        {
            return;
        }
        await using var batch = new NpgsqlBatch(connection);
        foreach (var channel in wanted.Except(listening))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"LISTEN {Quote(channel)}"));
        }
        foreach (var channel in listening.Except(wanted))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"UNLISTEN {Quote(channel)}"));
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        listening.Clear();
        listening.UnionWith(wanted);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private async Task<(int Delivered, bool Full, bool Held)> ReadBatchAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var wanted = topics();
        if (wanted is { Count: 0 })
        {
            // Nothing subscribed: no need to read events, only to keep up. A durable consumer stays put, to hand
            // its missed events to the subscriptions it resumes with.
            if (consumerName is null)
            {
                cursor = EventCursor.Max(cursor!.Value, await HeadAsync(connection, cancellationToken));
            }
            return (0, false, false);
        }
        var page = await ReadPageAsync(connection, cursor!.Value, wanted?.ToArray(), options.BatchSize, includeExpired, cancellationToken);
        var events = page.Events;
        foreach (var (at, e) in events)
        {
            await deliver(at, e, cancellationToken);
            cursor = at;
        }
        var full = events.Count >= options.BatchSize;
        if (!full)
        {
            // Everything below the horizon has been read: skip past it, including rows of other topics.
            cursor = EventCursor.Max(cursor!.Value, EventCursor.Before(page.Horizon));
        }
        return (events.Count, full, page.Held);
    }

    /// <summary>
    /// One query's worth of the log after <paramref name="from"/>, in log order, and the horizon of the query's
    /// snapshot: every event below it that will ever exist was visible to the query (see the class summary).
    /// With <paramref name="includeExpired"/>, events past their time to live are read too, so that two readers
    /// from the same cursor see the same events whenever they read.
    /// </summary>
    public static async Task<LogPage> ReadPageAsync(NpgsqlConnection connection, EventCursor from, string[]? topics, int limit, bool includeExpired, CancellationToken cancellationToken)
    {
        var events = new List<(EventCursor At, ClusterEvent Event)>();
        long horizon = 0;
        var held = false;
        await using var command = new NpgsqlCommand(ReadSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = from.Txid.ToString(System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = from.Position, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = topics is null ? DBNull.Value : topics, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = includeExpired, NpgsqlDbType = NpgsqlDbType.Boolean });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            horizon = reader.GetInt64(0);
            held = reader.GetBoolean(1);
            if (reader.IsDBNull(2))
            {
                continue;
            }
            var at = new EventCursor(reader.GetInt64(2), reader.GetInt64(3));
            var e = new ClusterEvent(reader.GetString(4), reader.GetString(5), reader.GetString(6), JsonSerializer.Deserialize<JsonElement>(reader.GetString(7)))
            {
                TraceParent = reader.IsDBNull(8) ? null : reader.GetString(8),
                Time = reader.GetFieldValue<DateTimeOffset>(9),
                // What is left of it, for a consumer that passes the event on (the Dapr outbox relay).
                TimeToLive = reader.IsDBNull(10) ? null : TimeSpan.FromMilliseconds(Math.Max(1, reader.GetInt64(10))),
            };
            events.Add((at, e));
        }
        return new LogPage(events, horizon, held);
    }

    internal sealed record LogPage(List<(EventCursor At, ClusterEvent Event)> Events, long Horizon, bool Held);

    private async Task<EventCursor> StartingCursorAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (consumerName is not null)
        {
            await using var load = new NpgsqlCommand("SELECT txid::text::bigint, position, updated_at FROM cluster_event_cursors WHERE consumer = $1", connection);
            load.Parameters.Add(new NpgsqlParameter { Value = consumerName });
            await using var reader = await load.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var stored = new EventCursor(reader.GetInt64(0), reader.GetInt64(1));
                var age = DateTimeOffset.UtcNow - reader.GetFieldValue<DateTimeOffset>(2);
                if (age > options.Retention)
                {
                    LogMayHaveMissed(consumerName, age.TotalMinutes);
                }
                savedCursor = stored;
                savedAt = DateTime.UtcNow;
                return stored;
            }
        }
        cursor = await HeadAsync(connection, cancellationToken);
        // A durable consumer exists from its first start: stored now, a restart resumes here even if nothing came.
        await SaveCursorAsync(connection, delivered: true, cancellationToken);
        return cursor.Value;
    }

    /// <summary>Just before every event that is not yet readable.</summary>
    public static async Task<EventCursor> HeadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var head = new NpgsqlCommand("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", connection);
        return EventCursor.Before((long)(await head.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>Durable consumers store their cursor after delivering, and now and then while idle so its age stays meaningful.</summary>
    private async Task SaveCursorAsync(NpgsqlConnection connection, bool delivered, CancellationToken cancellationToken)
    {
        var current = cursor!.Value;
        if (consumerName is null || !(delivered ? current != savedCursor : DateTime.UtcNow - savedAt >= CursorRefresh))
        {
            return;
        }
        await using var save = new NpgsqlCommand("""
            INSERT INTO cluster_event_cursors (consumer, txid, position) VALUES ($1, $2::text::xid8, $3)
            ON CONFLICT (consumer) DO UPDATE SET txid = excluded.txid, position = excluded.position, updated_at = now()
            """, connection);
        save.Parameters.Add(new NpgsqlParameter { Value = consumerName });
        save.Parameters.Add(new NpgsqlParameter { Value = current.Txid.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        save.Parameters.Add(new NpgsqlParameter { Value = current.Position });
        await save.ExecuteNonQueryAsync(cancellationToken);
        savedCursor = current;
        savedAt = DateTime.UtcNow;
    }

    private async Task WarnHeldAsync(NpgsqlConnection connection, TimeSpan waited, CancellationToken cancellationToken)
    {
        await using var oldest = new NpgsqlCommand("""
            SELECT pid, coalesce(application_name, ''), extract(epoch FROM now() - xact_start)::int
            FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY age(backend_xid) DESC LIMIT 1
            """, connection);
        await using var reader = await oldest.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            LogHeld(waited.TotalSeconds, reader.GetInt32(0), reader.GetString(1), reader.GetInt32(2));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Cluster-event reader {Consumer} lost its connection; reconnecting in {DelayMs} ms")]
    private partial void LogConnectionLost(Exception e, string consumer, double delayMs);

    [LoggerMessage(LogLevel.Warning, "Durable consumer {Consumer} was last seen {Minutes:F0} minutes ago, longer than the retention: events may have been pruned before it read them")]
    private partial void LogMayHaveMissed(string consumer, double minutes);

    [LoggerMessage(LogLevel.Warning, "Cluster events have waited {Seconds:F0} s behind an open writing transaction (pid {Pid}, application '{Application}', open {Age} s); events are delivered when it ends")]
    private partial void LogHeld(double seconds, int pid, string application, int age);
}
