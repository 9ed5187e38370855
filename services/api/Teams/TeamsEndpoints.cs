using Chat.Api.Authorization;
using Chat.Authentication;
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
        teams.MapGet("/{teamId}", GetAsync);
        teams.MapPost("/{teamId}/members", AddMemberAsync);
        teams.MapGet("/{teamId}/members", GetMembersAsync);
        teams.MapDelete("/{teamId}/members/{userId}", RemoveMemberAsync);

        api.MapGet("/users/me/teams", GetMineAsync).RequireAuthorization();
    }

    private static async Task<Created<Team>> CreateAsync(CreateTeamRequest? body, HttpContext context, TeamService service)
    {
        var team = await service.CreateAsync(Input.Body(body), CurrentSession.Of(context));
        return TypedResults.Created($"/api/v4/teams/{team.Id}", team);
    }

    private static async Task<Ok<Team>> GetAsync(string teamId, HttpContext context, TeamService service) =>
        TypedResults.Ok(await service.GetAsync(Input.Id(teamId, "team_id"), CurrentSession.Of(context)));

    private static async Task<Ok<IReadOnlyList<Team>>> GetMineAsync(HttpContext context, TeamService service) =>
        TypedResults.Ok(await service.GetMineAsync(CurrentSession.Of(context)));

    private static async Task<Created<TeamMember>> AddMemberAsync(string teamId, AddTeamMemberRequest? body, HttpContext context, TeamService service)
    {
        var member = await service.AddMemberAsync(Input.Id(teamId, "team_id"), Input.Body(body), CurrentSession.Of(context));
        return TypedResults.Created($"/api/v4/teams/{teamId}/members/{member.UserId}", member);
    }

    private static async Task<Ok<IReadOnlyList<TeamMember>>> GetMembersAsync(string teamId, int? page, [FromQuery(Name = "per_page")] int? perPage, HttpContext context, TeamService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.GetMembersAsync(Input.Id(teamId, "team_id"), p, pp, CurrentSession.Of(context)));
    }

    private static async Task<Ok<StatusOk>> RemoveMemberAsync(string teamId, string userId, HttpContext context, TeamService service)
    {
        await service.RemoveMemberAsync(Input.Id(teamId, "team_id"), Input.Id(userId, "user_id"), CurrentSession.Of(context));
        return TypedResults.Ok(StatusOk.Instance);
    }
}
