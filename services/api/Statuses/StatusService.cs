using System.Collections.Concurrent;
using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Npgsql;

namespace Chat.Api.Statuses;

/// <summary>Mattermost's Status body of PUT /users/{user_id}/status; dnd_end_time in unix seconds.</summary>
public sealed record UpdateStatusRequest(string? UserId, string? Status, long? DndEndTime);

/// <summary>
/// Statuses as the api serves and changes them: read by anyone signed in, set by the user (or a system admin), and
/// set online by the user's posts. Every change records status_change for the user in its transaction. What the
/// realtime nodes observe (sockets, idleness, timed DND ending) is in services/realtime/Presence.
/// </summary>
public sealed partial class StatusService(StatusStore statuses, UserStore users, Outbox outbox, ChatConfig config, ILogger<StatusService> logger)
{
    /// <summary>Users this node recently marked active (Environment.TickCount64 of the write), so that posting in a burst writes once.</summary>
    private readonly ConcurrentDictionary<string, long> recentlyActive = new(StringComparer.Ordinal);

    public async Task<UserStatus> GetAsync(string userId) => (await statuses.GetManyAsync([userId]))[0];

    public async Task<IReadOnlyList<UserStatus>> GetManyAsync(string[]? userIds)
    {
        if (userIds is not { Length: > 0 } || userIds.Any(id => !Ids.IsValid(id)))
        {
            throw AppErrorException.InvalidParam("user_ids");
        }
        return await statuses.GetManyAsync(userIds);
    }

    /// <summary>Mattermost's updateUserStatus: the body names the same user as the path; others' statuses are for system admins.</summary>
    public async Task<UserStatus> SetAsync(string userId, UpdateStatusRequest request, Session caller)
    {
        if (request.UserId != userId)
        {
            throw AppErrorException.InvalidParam("user_id");
        }
        Access.Demand(caller.UserId == userId || caller.IsSystemAdmin);
        if (!UserStatus.IsValidStatus(request.Status))
        {
            throw AppErrorException.InvalidParam("status");
        }
        if (await users.GetAsync(userId) is null)
        {
            throw AppErrorException.NotFound("User");
        }
        return await outbox.WriteAsync(
            async tx =>
            {
                var current = (await statuses.LockAsync(tx, [userId]))[userId];
                var chosen = current.Chosen(request.Status!, request.DndEndTime ?? 0, await StatusStore.NowAsync(tx));
                await statuses.SaveAsync(tx, [chosen]);
                return chosen;
            },
            chosen => [WebSocketEvents.StatusChange.Create(chosen)]);
    }

    /// <summary>
    /// The user acted (posted): online unless they chose a status. Written at most once per activity interval per
    /// user by this node: in between, the status is online already, or one the user chose. A database failure is
    /// logged, not thrown: the action itself has succeeded.
    /// </summary>
    public async Task ActiveAsync(string userId)
    {
        try
        {
            await WriteActivityAsync(userId);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            LogActivityFailed(userId, e.Message);
        }
    }

    private async Task WriteActivityAsync(string userId)
    {
        var now = Environment.TickCount64;
        var interval = (long)UserStatus.ActivityWriteInterval(config.ServiceSettings.UserStatusAwayTimeout).TotalMilliseconds;
        if (recentlyActive.TryGetValue(userId, out var written) && now - written < interval)
        {
            return;
        }
        await outbox.WriteAsync(
            async tx =>
            {
                var current = (await statuses.LockAsync(tx, [userId]))[userId];
                var active = current.Active(await StatusStore.NowAsync(tx));
                await statuses.SaveAsync(tx, [active]);
                return (current, active);
            },
            r => r.current.Status == r.active.Status ? [] : [WebSocketEvents.StatusChange.Create(r.active)]);
        recentlyActive[userId] = now;
        if (recentlyActive.Count > 10_000)
        {
            foreach (var (id, at) in recentlyActive)
            {
                if (now - at >= interval)
                {
                    recentlyActive.TryRemove(new KeyValuePair<string, long>(id, at));
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Marking user {UserId} active failed ({Reason})")]
    private partial void LogActivityFailed(string userId, string reason);
}
