using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Stats;

public static class StatsEndpoints
{
    public static void MapStats(this RouteGroupBuilder api)
    {
        api.MapGet("/teams/{teamId}/stats", GetTeamStatsAsync).RequireAuthorization();
        var channels = api.MapGroup("/channels").RequireAuthorization();
        channels.MapGet("/{channelId}/stats", GetChannelStatsAsync);
        channels.MapGet("/{channelId}/member_counts_by_group", GetMemberCountsByGroupAsync);
    }

    private static async Task<Ok<TeamStats>> GetTeamStatsAsync(string teamId, Session session, StatsService service) =>
        TypedResults.Ok(await service.GetTeamStatsAsync(Input.Id(teamId, "team_id"), session));

    /// <summary>exclude_files_count=true (what the web app sends unless it shows files) answers files_count -1.</summary>
    private static async Task<Ok<ChannelStats>> GetChannelStatsAsync(
        string channelId, [FromQuery(Name = "exclude_files_count")] string? excludeFilesCount, Session session, StatsService service) =>
        TypedResults.Ok(await service.GetChannelStatsAsync(Input.Id(channelId, "channel_id"), countFiles: !Input.Flag(excludeFilesCount), session));

    /// <summary>include_timezones changes nothing in an empty list.</summary>
    private static async Task<Ok<IReadOnlyList<ChannelMemberCountByGroup>>> GetMemberCountsByGroupAsync(string channelId, Session session, StatsService service) =>
        TypedResults.Ok(await service.GetMemberCountsByGroupAsync(Input.Id(channelId, "channel_id"), session));
}
