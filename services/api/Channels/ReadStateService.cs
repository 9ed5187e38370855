using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Channels;

/// <summary>Mattermost's ChannelView: the channel now in view and the one left (either may be empty, e.g. on focus loss).</summary>
public sealed record ChannelViewRequest(string? ChannelId, string? PrevChannelId, bool? CollapsedThreadsSupported);

/// <summary>"status" stays for older clients, as in Mattermost.</summary>
public sealed record ChannelViewResponse(string Status, IReadOnlyDictionary<string, long> LastViewedAtTimes);

/// <summary>
/// A user's read state: viewing channels, and their channel and team memberships with the counts clients derive
/// unread state from. A user's own read state is theirs; other users' are for system admins.
/// </summary>
public sealed class ReadStateService(ReadStateStore readState, ThreadStore threads, ChannelStore channels, TeamStore teams, ChannelService channelService, Outbox outbox, ChatConfig config)
{
    /// <summary>Marks the channels of <paramref name="view"/> read for the user; the answer has each one's new last_viewed_at.</summary>
    public async Task<ChannelViewResponse> ViewAsync(string userId, ChannelViewRequest view, Session caller)
    {
        DemandSelfOrAdmin(userId, caller);
        var ids = new List<string>(2);
        if (!string.IsNullOrEmpty(view.ChannelId))
        {
            ids.Add(Input.Id(view.ChannelId, "channel_view.channel_id"));
        }
        if (!string.IsNullOrEmpty(view.PrevChannelId))
        {
            ids.Add(Input.Id(view.PrevChannelId, "channel_view.prev_channel_id"));
        }
        if (ids.Count == 0)
        {
            return new ChannelViewResponse("OK", new Dictionary<string, long>());
        }
        var times = await outbox.WriteAsync(
            tx => ReadStateStore.ViewAsync(tx, userId, ids),
            t => t.Count > 0 && config.ServiceSettings.EnableChannelViewedMessages ? [WebSocketEvents.MultipleChannelsViewed.Create(userId, t)] : []);
        return new ChannelViewResponse("OK", times);
    }

    /// <summary>A member of a channel the caller may read; another user's without their view times.</summary>
    public async Task<ChannelMember> GetMemberAsync(string channelId, string userId, Session caller)
    {
        await channelService.ReadableAsync(channelId, caller);
        var member = await channels.GetMemberAsync(channelId, userId)
            ?? throw new AppErrorException(404, "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.");
        return member.SanitizeFor(caller.UserId);
    }

    /// <summary>The user's members of the team's channels and of their direct and group channels (the sidebar's).</summary>
    public async Task<IReadOnlyList<ChannelMember>> GetMembersInTeamAsync(string userId, string teamId, Session caller)
    {
        DemandSelfOrAdmin(userId, caller);
        Access.Demand(caller.IsSystemAdmin || await teams.GetMemberAsync(teamId, caller.UserId) is not null);
        return await readState.GetMembersInTeamAsync(userId, teamId);
    }

    public async Task<IReadOnlyList<ChannelMemberWithTeamData>> GetMembersWithTeamDataAsync(string userId, int page, int perPage, Session caller)
    {
        DemandSelfOrAdmin(userId, caller);
        return await readState.GetMembersWithTeamDataAsync(userId, page, perPage);
    }

    public async Task<IReadOnlyList<Channel>> GetChannelsAsync(string userId, bool includeDeleted, Session caller)
    {
        DemandSelfOrAdmin(userId, caller);
        return await readState.GetChannelsAsync(userId, includeDeleted);
    }

    public async Task<IReadOnlyList<TeamMember>> GetTeamMembersAsync(string userId, Session caller)
    {
        DemandSelfOrAdmin(userId, caller);
        return await readState.GetTeamMembersAsync(userId);
    }

    /// <summary>
    /// Per team, the user's unread messages and mentions; with collapsed threads, also their unread followed threads
    /// and those threads' unread mentions (0 otherwise, as Mattermost answers).
    /// </summary>
    public async Task<IReadOnlyList<TeamUnread>> GetTeamUnreadsAsync(string userId, string? excludeTeamId, bool includeCollapsedThreads, Session caller)
    {
        DemandSelfOrAdmin(userId, caller);
        var exclude = string.IsNullOrEmpty(excludeTeamId) ? "" : Input.Id(excludeTeamId, "exclude_team");
        var unreads = await readState.GetTeamUnreadsAsync(userId, exclude);
        if (!includeCollapsedThreads || unreads.Count == 0)
        {
            return unreads;
        }
        var inThreads = await threads.GetTeamUnreadsAsync(userId, [.. unreads.Select(u => u.TeamId)]);
        return [.. unreads.Select(u => inThreads.TryGetValue(u.TeamId, out var t) ? u with { ThreadCount = t.Threads, ThreadMentionCount = t.Mentions } : u)];
    }

    /// <summary>Mattermost's SessionHasPermissionToUser: the user themself, or edit_other_users (system admins).</summary>
    private static void DemandSelfOrAdmin(string userId, Session caller) => Access.Demand(userId == caller.UserId || caller.IsSystemAdmin);
}
