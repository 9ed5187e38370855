using Chat.Realtime.Checkpoints;
using Npgsql;

namespace Chat.Realtime.Connections;

/// <summary>
/// Writes the checkpoints of this node's connections: every second those that advanced, at least every
/// <see cref="RealtimeOptions.TouchInterval"/> all of them (their last_seen is what the resume window counts
/// from), in one statement per round. Also writes single checkpoints on demand (before a send that follows a
/// dropped event, and when a connection ends), and now and then forgets connections past the resume window.
/// A write that finds its connection taken over by another node makes this node let the connection go.
/// </summary>
internal sealed partial class Checkpointer(CheckpointStore store, ConnectionRegistry registry, RealtimeOptions options, ILogger<Checkpointer> logger) : BackgroundService
{
    private static readonly TimeSpan CleanupInterval = TimeSpan.FromMinutes(5);

    /// <summary>Writes the connection's checkpoint now; throws if the database cannot take it.</summary>
    public async Task WriteNowAsync(ClientConnection connection, bool resetFallback)
    {
        await connection.CheckpointGate.WaitAsync();
        try
        {
            if (connection.Capture(resetFallback) is not { } captured)
            {
                return;
            }
            var lost = await store.WriteAsync([captured.Write], CancellationToken.None);
            if (lost.Count > 0)
            {
                connection.Abort("another node has taken the connection over");
                return;
            }
            connection.Written(captured);
        }
        finally
        {
            connection.CheckpointGate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckpointInterval);
        var lastCleanup = DateTime.MinValue;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await WriteRoundAsync(stoppingToken);
            if (DateTime.UtcNow - lastCleanup > CleanupInterval)
            {
                lastCleanup = DateTime.UtcNow;
                try
                {
                    var deleted = await store.DeleteExpiredAsync(options.ResumeWindow, stoppingToken);
                    if (deleted > 0)
                    {
                        LogForgotten(deleted);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    LogFailed(e.Message);
                }
            }
        }
    }

    private async Task WriteRoundAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var held = new List<ClientConnection>();
        var captured = new List<(ClientConnection Connection, CapturedCheckpoint Checkpoint)>();
        try
        {
            foreach (var connection in registry.All)
            {
                // A connection busy writing its own checkpoint is written next round.
                if (!connection.NeedsCheckpoint(now) || !connection.CheckpointGate.Wait(0))
                {
                    continue;
                }
                held.Add(connection);
                if (connection.Capture(resetFallback: false) is { } checkpoint)
                {
                    captured.Add((connection, checkpoint));
                }
            }
            if (captured.Count == 0)
            {
                return;
            }
            IReadOnlyList<string> lost;
            try
            {
                lost = await store.WriteAsync([.. captured.Select(c => c.Checkpoint.Write)], cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogFailed(e.Message);
                foreach (var connection in held)
                {
                    connection.NotWritten();
                }
                return;
            }
            var lostIds = lost.ToHashSet(StringComparer.Ordinal);
            foreach (var (connection, checkpoint) in captured)
            {
                if (lostIds.Contains(checkpoint.Write.ConnectionId))
                {
                    connection.Abort("another node has taken the connection over");
                }
                else
                {
                    connection.Written(checkpoint);
                }
            }
        }
        finally
        {
            foreach (var connection in held)
            {
                connection.CheckpointGate.Release();
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Writing WebSocket checkpoints failed ({Reason}); retrying next round")]
    private partial void LogFailed(string reason);

    [LoggerMessage(LogLevel.Information, "Forgot {Count} WebSocket connections past the resume window")]
    private partial void LogForgotten(int count);
}
