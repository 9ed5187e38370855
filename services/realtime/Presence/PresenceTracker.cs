using System.Collections.Concurrent;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Npgsql;
using Queues = System.Threading.Channels;

namespace Chat.Realtime.Presence;

/// <summary>
/// Statuses from what the realtime nodes see. A user is online while any socket of theirs is open on any node
/// (status_sockets), away after ServiceSettings.UserStatusAwayTimeout without activity, offline when their last
/// socket closes or the node holding it stops heartbeating. Statuses the user chose are kept (<see cref="UserStatus"/>).
/// One loop per node does every write, in order: the sockets opened and closed and the activity seen since its
/// last write, in one transaction; and every <see cref="RealtimeOptions.PresenceSweepInterval"/> the sweep (dead
/// nodes' sockets, idle users, timed DND that ended; the same on every node, idempotent) and a check that this
/// node's rows are what it holds. Each status change records status_change in the transaction that makes it.
/// </summary>
internal sealed partial class PresenceTracker(
    NpgsqlDataSource db,
    StatusStore statuses,
    SocketStore sockets,
    IEventBus bus,
    NodeInfo node,
    ChatConfig config,
    RealtimeOptions options,
    ILogger<PresenceTracker> logger) : BackgroundService
{
    /// <summary>The open sockets by the object that stands for each (its connection), compared by reference.</summary>
    private readonly ConcurrentDictionary<object, OpenSocket> open = new(ReferenceEqualityComparer.Instance);
    private readonly Queues.Channel<Change> changes = Queues.Channel.CreateUnbounded<Change>(new Queues.UnboundedChannelOptions { SingleReader = true });

    // The loop's own state.
    private readonly Dictionary<string, OpenSocket> written = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpenSocket> opening = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpenSocket> closing = new(StringComparer.Ordinal);
    private readonly HashSet<string> active = new(StringComparer.Ordinal);
    private readonly HashSet<string> leaving = new(StringComparer.Ordinal);
    /// <summary>When this node last wrote each user's activity (Environment.TickCount64).</summary>
    private readonly Dictionary<string, long> activityWritten = new(StringComparer.Ordinal);

    private enum ChangeKind { Opened, Closed, Active }

    private sealed record Change(ChangeKind Kind, OpenSocket? Socket, string UserId);

    /// <summary>An opened (or resumed) connection: its user is connected, and active.</summary>
    /// <param name="connection">What stands for the socket until <see cref="Closed"/>: each socket of a connection id is another one.</param>
    public void Opened(object connection, string connectionId, string userId)
    {
        var socket = new OpenSocket(Ids.New(), connectionId, userId);
        if (open.TryAdd(connection, socket))
        {
            changes.Writer.TryWrite(new Change(ChangeKind.Opened, socket, socket.UserId));
        }
    }

    /// <summary>The connection ended; nothing when it never opened.</summary>
    public void Closed(object connection)
    {
        if (open.TryRemove(connection, out var socket))
        {
            changes.Writer.TryWrite(new Change(ChangeKind.Closed, socket, socket.UserId));
        }
    }

    /// <summary>The user did something through a socket (typing, an active-status message).</summary>
    public void Active(string userId) => changes.Writer.TryWrite(new Change(ChangeKind.Active, null, userId));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            Take();
            var failed = HasPending && !await TryAsync(FlushAsync, "recording sockets and activity");
            if (!failed && Environment.TickCount64 >= nextSweep)
            {
                await TryAsync(SweepAsync, "the status sweep");
                await TryAsync(CheckOwnSocketsAsync, "checking this node's sockets");
                nextSweep = Environment.TickCount64 + (long)options.PresenceSweepInterval.TotalMilliseconds;
            }
            await WaitAsync(failed ? options.PresenceRetryDelay : TimeSpan.FromMilliseconds(Math.Max(0, nextSweep - Environment.TickCount64)), wake: !failed, stoppingToken);
        }
        // Sockets closed while the node stops: their users go offline now rather than when the others notice.
        Take();
        if (HasPending)
        {
            await TryAsync(FlushAsync, "recording sockets closed on shutdown");
        }
    }

    private bool HasPending => opening.Count > 0 || closing.Count > 0 || active.Count > 0 || leaving.Count > 0;

    /// <summary>Moves what the connections reported into the next write.</summary>
    private void Take()
    {
        var now = Environment.TickCount64;
        var interval = (long)UserStatus.ActivityWriteInterval(config.ServiceSettings.UserStatusAwayTimeout).TotalMilliseconds;
        while (changes.Reader.TryRead(out var change))
        {
            switch (change.Kind)
            {
                case ChangeKind.Opened:
                    opening[change.Socket!.SocketId] = change.Socket;
                    active.Add(change.UserId);
                    break;
                case ChangeKind.Closed:
                    // A socket closed before its row was written needs no delete, but its user may be left without one.
                    if (!opening.Remove(change.Socket!.SocketId))
                    {
                        closing[change.Socket.SocketId] = change.Socket;
                    }
                    leaving.Add(change.UserId);
                    break;
                case ChangeKind.Active when !activityWritten.TryGetValue(change.UserId, out var at) || now - at >= interval:
                    active.Add(change.UserId);
                    break;
            }
        }
        if (activityWritten.Count > 10_000)
        {
            foreach (var (userId, at) in activityWritten.Where(w => now - w.Value >= interval).ToList())
            {
                activityWritten.Remove(userId);
            }
        }
    }

    /// <summary>The sockets opened and closed and the activity taken since the last write, and what they do to statuses.</summary>
    private async Task FlushAsync()
    {
        await using (var connection = await db.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            // Users of opened sockets are among the active, users of closed ones among the leaving.
            var locked = await statuses.LockAsync(tx, [.. active, .. leaving]);
            await SocketStore.DeleteAsync(tx, closing.Keys);
            await SocketStore.InsertAsync(tx, node.NodeId, opening.Values);
            var connected = await SocketStore.ConnectedAsync(tx, leaving);
            var now = await StatusStore.NowAsync(tx);
            await SaveAsync(tx, locked, locked.Values.Select(s =>
            {
                var next = active.Contains(s.UserId) ? s.Active(now) : s;
                return leaving.Contains(s.UserId) && !connected.Contains(s.UserId) ? next.Disconnected(now) : next;
            }));
            await tx.CommitAsync();
        }
        foreach (var socket in opening.Values)
        {
            written[socket.SocketId] = socket;
        }
        foreach (var socketId in closing.Keys)
        {
            written.Remove(socketId);
        }
        var at = Environment.TickCount64;
        foreach (var userId in active)
        {
            activityWritten[userId] = at;
        }
        opening.Clear();
        closing.Clear();
        active.Clear();
        leaving.Clear();
    }

    /// <summary>
    /// Sockets of nodes that stopped heartbeating, users idle past the away timeout, timed DND that ended. Rows
    /// another transaction holds are skipped (the next sweep, on any node, comes back to them), so nodes sweeping
    /// at once do not wait for each other, and each rule is checked again on the locked row.
    /// </summary>
    private async Task SweepAsync()
    {
        var awayTimeoutMs = config.ServiceSettings.UserStatusAwayTimeout * 1000L;
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var deadNodes = await SocketStore.DeadNodesAsync(tx, node.NodeId, config.ClusterSettings.NodeDownAfterMilliseconds);
        var orphaned = deadNodes.Length == 0 ? [] : await SocketStore.UsersOnNodesAsync(tx, deadNodes, options.PresenceSweepLimit);
        var idle = await statuses.IdleAsync(tx, awayTimeoutMs, options.PresenceSweepLimit);
        var dndEnded = await statuses.DndEndedAsync(tx, options.PresenceSweepLimit);
        if (orphaned.Length == 0 && idle.Count == 0 && dndEnded.Count == 0)
        {
            return;
        }
        var locked = await statuses.LockAvailableAsync(tx, [.. orphaned, .. idle, .. dndEnded]);
        var disconnected = deadNodes.Length == 0 ? [] : await SocketStore.DeleteOnNodesAsync(tx, deadNodes, [.. orphaned.Where(locked.ContainsKey)]);
        var connected = await SocketStore.ConnectedAsync(tx, [.. disconnected, .. dndEnded.Where(locked.ContainsKey)]);
        var now = await StatusStore.NowAsync(tx);
        var next = locked.Values.Select(s =>
        {
            var after = disconnected.Contains(s.UserId) && !connected.Contains(s.UserId) ? s.Disconnected(now) : s;
            return after.DndEnded(now, connected.Contains(s.UserId)).Idle(now, awayTimeoutMs);
        });
        await SaveAsync(tx, locked, next);
        await tx.CommitAsync();
        if (disconnected.Count > 0)
        {
            LogDeadNodesSwept(string.Join(", ", deadNodes), disconnected.Count);
        }
    }

    /// <summary>
    /// This node's rows are the sockets it holds: another node that took it for dead (a heartbeat held up longer
    /// than NodeDownAfterMilliseconds) has deleted them and taken its users offline, so they are written again.
    /// Rows of sockets it does not hold (none, unless a write was lost) are deleted.
    /// </summary>
    private async Task CheckOwnSocketsAsync()
    {
        if (await sockets.CountAsync(node.NodeId) == written.Count)
        {
            return;
        }
        var stored = (await sockets.OfNodeAsync(node.NodeId)).ToDictionary(s => s.SocketId, StringComparer.Ordinal);
        foreach (var socket in written.Values.Where(s => !stored.ContainsKey(s.SocketId)).ToList())
        {
            written.Remove(socket.SocketId);
            opening[socket.SocketId] = socket;
            active.Add(socket.UserId);
        }
        foreach (var socket in stored.Values.Where(s => !written.ContainsKey(s.SocketId) && !opening.ContainsKey(s.SocketId)))
        {
            closing[socket.SocketId] = socket;
            leaving.Add(socket.UserId);
        }
        LogRewritingOwnSockets(opening.Count, closing.Count);
        await FlushAsync();
    }

    /// <summary>Writes the statuses that changed; a change of status (not only of activity time) is a status_change event.</summary>
    private async Task SaveAsync(NpgsqlTransaction tx, Dictionary<string, UserStatus> before, IEnumerable<UserStatus> after)
    {
        var changed = after.Where(s => s != before[s.UserId]).ToList();
        await statuses.SaveAsync(tx, changed);
        var events = changed.Where(s => s.Status != before[s.UserId].Status).Select(WebSocketEvents.StatusChange.Create).ToList();
        if (events.Count > 0)
        {
            await bus.PublishAsync(tx, events);
        }
    }

    private async Task<bool> TryAsync(Func<Task> work, string what)
    {
        try
        {
            await work();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            LogFailed(what, e.Message);
            return false;
        }
    }

    /// <summary>Waits for <paramref name="delay"/>, or less when a connection reports something (<paramref name="wake"/>).</summary>
    private async Task WaitAsync(TimeSpan delay, bool wake, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(delay);
        try
        {
            if (wake)
            {
                await changes.Reader.WaitToReadAsync(timeout.Token);
            }
            else
            {
                await Task.Delay(Timeout.Infinite, timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The delay passed, or the node is stopping.
        }
    }

    [LoggerMessage(LogLevel.Warning, "Presence: {What} failed ({Reason}); retrying")]
    private partial void LogFailed(string what, string reason);

    [LoggerMessage(LogLevel.Information, "Presence: removed the sockets of stopped nodes {Nodes}; {Users} users were on them")]
    private partial void LogDeadNodesSwept(string nodes, int users);

    [LoggerMessage(LogLevel.Warning, "Presence: this node's socket rows differed from its sockets; writing {Missing} again, deleting {Extra}")]
    private partial void LogRewritingOwnSockets(int missing, int extra);
}
