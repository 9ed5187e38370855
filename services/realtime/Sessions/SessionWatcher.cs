using System.Net.WebSockets;
using Chat.Realtime.Connections;
using Chat.Store.Postgres;
using Npgsql;

namespace Chat.Realtime.Sessions;

/// <summary>
/// Closes sockets whose session has ended without a revocation event reaching this node: expired, idle past
/// ServiceSettings.SessionIdleTimeoutInMinutes, deleted directly, or its user deactivated. Revocations the api
/// publishes close sockets at once (see <see cref="EventDispatcher"/>); this sweep is the safety net, one query per
/// round for the whole node.
/// </summary>
internal sealed partial class SessionWatcher(SessionStore sessions, ConnectionRegistry registry, RealtimeOptions options, ILogger<SessionWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SessionCheckInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogFailed(e.Message);
            }
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var open = registry.All.Where(c => c.IsOpen).ToList();
        if (open.Count == 0)
        {
            return;
        }
        var live = await sessions.LiveAmongAsync([.. open.Select(c => c.SessionId).Distinct()], ChatDatabase.NowMs(), cancellationToken);
        foreach (var connection in open.Where(c => !live.Contains(c.SessionId)))
        {
            LogEnded(connection.Id, connection.UserId);
            _ = connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "session ended");
        }
    }

    [LoggerMessage(LogLevel.Information, "WebSocket {ConnectionId} of user {UserId}: its session has ended; closing")]
    private partial void LogEnded(string connectionId, string userId);

    [LoggerMessage(LogLevel.Warning, "Checking the sessions of open WebSockets failed ({Reason}); retrying next round")]
    private partial void LogFailed(string reason);
}
