using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Teams;

public static class TeamsEndpoints
{
    public static void MapTeams(this RouteGroupBuilder api)
    {
        var teams = api.MapGroup("/teams").RequireAuthorization();
        teams.MapPost("/", CreateAsync);
        teams.MapGet("/", ListAsync);
        teams.MapGet("/{teamId}", GetAsync);
        teams.MapGet("/name/{name}", GetByNameAsync);
        teams.MapPost("/{teamId}/members", AddMemberAsync);
        teams.MapGet("/{teamId}/members", GetMembersAsync);
        teams.MapDelete("/{teamId}/members/{userId}", RemoveMemberAsync);

        api.MapGet("/users/me/teams", GetMineAsync).RequireAuthorization();
    }

    private static async Task<Created<Team>> CreateAsync(CreateTeamRequest? body, Session session, TeamService service)
    {
        var team = await service.CreateAsync(Input.Body(body), session);
        return TypedResults.Created($"/api/v4/teams/{team.Id}", team);
    }

    private static async Task<Ok<Team>> GetAsync(string teamId, Session session, TeamService service) =>
        TypedResults.Ok(await service.GetAsync(Input.Id(teamId, "team_id"), session));

    /// <summary>A list, or with include_total_count=true Mattermost's {"teams", "total_count"}.</summary>
    private static async Task<Results<Ok<IReadOnlyList<Team>>, Ok<TeamsWithCount>>> ListAsync(
        int? page, [FromQuery(Name = "per_page")] int? perPage, [FromQuery(Name = "include_total_count")] bool? includeTotalCount, Session session, TeamDirectoryService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        var (teams, total) = await service.ListAsync(p, pp, includeTotalCount == true, session);
        return total is { } count ? TypedResults.Ok(new TeamsWithCount(teams, count)) : TypedResults.Ok(teams);
    }

    private static async Task<Ok<Team>> GetByNameAsync(string name, Session session, TeamDirectoryService service) =>
        TypedResults.Ok(await service.GetByNameAsync(name, session));

    private static async Task<Ok<IReadOnlyList<Team>>> GetMineAsync(Session session, TeamService service) =>
        TypedResults.Ok(await service.GetMineAsync(session));

    private static async Task<Created<TeamMember>> AddMemberAsync(string teamId, AddTeamMemberRequest? body, Session session, TeamService service)
    {
        var member = await service.AddMemberAsync(Input.Id(teamId, "team_id"), Input.Body(body), session);
        return TypedResults.Created($"/api/v4/teams/{teamId}/members/{member.UserId}", member);
    }

    private static async Task<Ok<IReadOnlyList<TeamMember>>> GetMembersAsync(string teamId, int? page, [FromQuery(Name = "per_page")] int? perPage, Session session, TeamService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.GetMembersAsync(Input.Id(teamId, "team_id"), p, pp, session));
    }

    private static async Task<Ok<StatusOk>> RemoveMemberAsync(string teamId, string userId, Session session, TeamService service)
    {
        await service.RemoveMemberAsync(Input.Id(teamId, "team_id"), Input.Id(userId, "user_id"), session);
        return TypedResults.Ok(StatusOk.Instance);
    }
}
