using System.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks.PubSub.Embedded;

/// <summary>
/// <see cref="IEventLog"/> over cluster_events, sharing the readers' query and follow loop with the pub/sub
/// provider. A hosted service: it migrates the log's schema and runs the wake-up notifier for its appends.
/// </summary>
public sealed class ClusterEventLog : IEventLog, IHostedService, IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;
    private readonly EmbeddedPubSubOptions options;
    private readonly ILogger logger;
    private readonly EventLog log;
    private readonly CancellationTokenSource stopping = new();
    private Task notifying = Task.CompletedTask;

    public ClusterEventLog(NpgsqlDataSource dataSource, BuildingBlocksOptions options, ILogger<ClusterEventLog> logger)
    {
        this.dataSource = dataSource;
        this.options = options.Embedded;
        this.logger = logger;
        log = new EventLog(dataSource, this.options, logger);
    }

    public Task AppendAsync(IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken = default) =>
        log.AppendAsync(events, cancellationToken);

    public async Task<EventCursor> HeadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await EventLogReader.HeadAsync(connection, cancellationToken);
    }

    public async Task<EventCursor> SnapshotCursorAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.IsolationLevel is not (IsolationLevel.RepeatableRead or IsolationLevel.Serializable or IsolationLevel.Snapshot))
        {
            throw new ArgumentException("Only a REPEATABLE READ or SERIALIZABLE transaction has one snapshot for all its statements.", nameof(transaction));
        }
        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has already ended.");
        await using var command = new NpgsqlCommand("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", connection, transaction);
        return EventCursor.Before((long)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    public async Task<EventLogPage> ReadAfterAsync(EventCursor after, string topic, int limit, CancellationToken cancellationToken = default)
    {
        ClusterEvent.ValidateTopic(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var page = await EventLogReader.ReadPageAsync(connection, after, [topic], limit, includeExpired: true, cancellationToken);
        var events = page.Events.Select(e => new LoggedEvent(e.At, e.Event)).ToList();
        var more = events.Count >= limit;
        var next = events.Count > 0 ? events[^1].Cursor : after;
        if (!more)
        {
            next = EventCursor.Max(next, EventCursor.Before(page.Horizon));
        }
        return new EventLogPage(events, next, more);
    }

    public Task FollowAsync(EventCursor after, string topic, LoggedEventHandler handler, CancellationToken cancellationToken)
    {
        ClusterEvent.ValidateTopic(topic);
        ArgumentNullException.ThrowIfNull(handler);
        string[] topics = [topic];
        var reader = new EventLogReader(dataSource, options, consumerName: null, () => topics,
            (at, e, ct) => handler(new LoggedEvent(at, e), ct), logger, start: after, includeExpired: true);
        return reader.RunAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        notifying = log.Notifier.RunAsync(stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        try
        {
            await notifying.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!stopping.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None);
        }
    }
}
