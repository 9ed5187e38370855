using System.Text.Json;
using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Channels;

/// <summary>Read state: channel views, a user's channel and team members, team unreads. <c>me</c> stands for the caller.</summary>
public static class ReadStateEndpoints
{
    /// <summary>Members streamed per database page when GET /users/{id}/channel_members asks for page -1.</summary>
    private const int StreamPage = 200;

    public static void MapReadState(this RouteGroupBuilder api)
    {
        var channels = api.MapGroup("/channels").RequireAuthorization();
        channels.MapPost("/members/{userId}/view", ViewAsync);
        channels.MapGet("/{channelId}/members/{userId}", GetMemberAsync);

        var users = api.MapGroup("/users/{userId}").RequireAuthorization();
        users.MapGet("/teams/{teamId}/channels/members", GetMembersInTeamAsync);
        users.MapGet("/channels", GetChannelsAsync);
        users.MapGet("/channel_members", GetMembersWithTeamDataAsync);
        users.MapGet("/teams/members", GetTeamMembersAsync);
        users.MapGet("/teams/unread", GetTeamUnreadsAsync);
    }

    private static async Task<Ok<ChannelViewResponse>> ViewAsync(string userId, ChannelViewRequest? body, Session session, ReadStateService service) =>
        TypedResults.Ok(await service.ViewAsync(User(userId, session), Input.Body(body), session));

    private static async Task<Ok<ChannelMember>> GetMemberAsync(string channelId, string userId, Session session, ReadStateService service) =>
        TypedResults.Ok(await service.GetMemberAsync(Input.Id(channelId, "channel_id"), User(userId, session), session));

    private static async Task<Ok<IReadOnlyList<ChannelMember>>> GetMembersInTeamAsync(string userId, string teamId, Session session, ReadStateService service) =>
        TypedResults.Ok(await service.GetMembersInTeamAsync(User(userId, session), Input.Id(teamId, "team_id"), session));

    private static async Task<Ok<IReadOnlyList<Channel>>> GetChannelsAsync(string userId, [FromQuery(Name = "include_deleted")] bool? includeDeleted, Session session, ReadStateService service) =>
        TypedResults.Ok(await service.GetChannelsAsync(User(userId, session), includeDeleted ?? false, session));

    /// <summary>page -1 streams every member as NDJSON (one JSON object per line), as Mattermost does for large accounts.</summary>
    private static async Task<Results<Ok<IReadOnlyList<ChannelMemberWithTeamData>>, PushStreamHttpResult>> GetMembersWithTeamDataAsync(
        string userId, int? page, [FromQuery(Name = "per_page")] int? perPage, Session session, ReadStateService service)
    {
        var user = User(userId, session);
        if (page == -1)
        {
            // The permission check answers before the stream starts, so a refusal is still an AppError.
            var first = await service.GetMembersWithTeamDataAsync(user, 0, StreamPage, session);
            return TypedResults.Stream(async stream =>
            {
                var newline = new byte[] { (byte)'\n' };
                var (members, next) = (first, 1);
                while (true)
                {
                    foreach (var member in members)
                    {
                        await JsonSerializer.SerializeAsync(stream, member, ServiceDefaultsExtensions.JsonOptions);
                        await stream.WriteAsync(newline);
                    }
                    if (members.Count < StreamPage)
                    {
                        break;
                    }
                    members = await service.GetMembersWithTeamDataAsync(user, next++, StreamPage, session);
                }
            }, "application/x-ndjson");
        }
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.GetMembersWithTeamDataAsync(user, p, pp, session));
    }

    private static async Task<Ok<IReadOnlyList<TeamMember>>> GetTeamMembersAsync(string userId, Session session, ReadStateService service) =>
        TypedResults.Ok(await service.GetTeamMembersAsync(User(userId, session), session));

    private static async Task<Ok<IReadOnlyList<TeamUnread>>> GetTeamUnreadsAsync(
        string userId, [FromQuery(Name = "exclude_team")] string? excludeTeam, [FromQuery(Name = "include_collapsed_threads")] bool? includeCollapsedThreads,
        Session session, ReadStateService service) =>
        TypedResults.Ok(await service.GetTeamUnreadsAsync(User(userId, session), excludeTeam, includeCollapsedThreads == true, session));

    private static string User(string userId, Session session) => userId == "me" ? session.UserId : Input.Id(userId, "user_id");
}
