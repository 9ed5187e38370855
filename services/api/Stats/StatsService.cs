using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Stats;

/// <summary>Team and channel statistics for those who may see the team (view_team) or read the channel (read_channel).</summary>
public sealed class StatsService(StatsStore stats, TeamStore teams, ChannelStore channels)
{
    public async Task<TeamStats> GetTeamStatsAsync(string teamId, Session caller)
    {
        _ = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.ViewTeam));
        return await stats.GetTeamStatsAsync(teamId);
    }

    public async Task<ChannelStats> GetChannelStatsAsync(string channelId, bool countFiles, Session caller)
    {
        await DemandReadChannelAsync(channelId, caller);
        return await stats.GetChannelStatsAsync(channelId, countFiles);
    }

    /// <summary>
    /// The channel's members per user group: none, since there are no user groups (see
    /// <see cref="ChannelMemberCountByGroup"/>), but only for those who may read the channel.
    /// </summary>
    public async Task<IReadOnlyList<ChannelMemberCountByGroup>> GetMemberCountsByGroupAsync(string channelId, Session caller)
    {
        await DemandReadChannelAsync(channelId, caller);
        return [];
    }

    /// <summary>read_channel itself, as Mattermost's stats routes demand (not read_public_channel).</summary>
    private async Task DemandReadChannelAsync(string channelId, Session caller)
    {
        var access = await channels.GetAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(caller.HasChannelPermission(access, Permissions.ReadChannel));
    }
}
