using Chat.Api.Authorization;
using Chat.Authentication;
using Chat.Configuration;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Users;

public static class UsersEndpoints
{
    public static void MapUsers(this RouteGroupBuilder api)
    {
        var anonymous = api.MapGroup("/users");
        anonymous.MapPost("/", CreateAsync);
        anonymous.MapPost("/login", LoginAsync);

        var users = api.MapGroup("/users").RequireAuthorization();
        users.MapPost("/logout", LogoutAsync);
        users.MapGet("/", ListAsync);
        users.MapPost("/ids", GetByIdsAsync);
        users.MapPost("/usernames", GetByUsernamesAsync);
        users.MapGet("/autocomplete", AutocompleteAsync);
        users.MapPost("/search", SearchAsync);
        users.MapGet("/me", (Session session, UserService service) => GetAsync("me", session, service));
        users.MapGet("/{userId}", GetAsync);
        users.MapPut("/{userId}/patch", PatchAsync);
        users.MapPut("/{userId}/password", UpdatePasswordAsync);
        users.MapGet("/username/{username}", GetByUsernameAsync);
        users.MapGet("/{userId}/sessions", ListSessionsAsync);
        users.MapPost("/{userId}/sessions/revoke", RevokeSessionAsync);
        users.MapPost("/{userId}/sessions/revoke/all", RevokeAllSessionsAsync);
    }

    /// <summary>Open sign-up needs no session; with one (an admin creating a user) it is authenticated as usual.</summary>
    private static async Task<Created<User>> CreateAsync(CreateUserRequest? body, Session? session, UserService service)
    {
        var user = await service.CreateAsync(Input.Body(body), session);
        return TypedResults.Created($"/api/v4/users/{user.Id}", user);
    }

    private static async Task<Ok<User>> LoginAsync(LoginRequest? body, HttpContext context, UserService service, ChatConfig config)
    {
        var result = await service.LoginAsync(Input.Body(body));
        context.Response.Headers[SessionTokens.TokenHeader] = result.Token;
        SessionTokens.AppendLoginCookies(context.Response, result.Token, result.User.Id, result.Csrf, result.Expires,
            secure: config.ServiceSettings.SiteURL.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        return TypedResults.Ok(result.User);
    }

    private static async Task<Ok<StatusOk>> LogoutAsync(HttpContext context, Session session, UserService service)
    {
        await service.LogoutAsync(session);
        SessionTokens.DeleteLoginCookies(context.Response);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<User>> GetAsync(string userId, Session session, UserService service)
    {
        var id = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        return TypedResults.Ok(await service.GetAsync(id, session));
    }

    private static async Task<Ok<StatusOk>> UpdatePasswordAsync(string userId, UpdatePasswordRequest? body, Session session, UserService service)
    {
        await service.UpdatePasswordAsync(userId == "me" ? session.UserId : Input.Id(userId, "user_id"), Input.Body(body), session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<User>> PatchAsync(string userId, UserPatchRequest? body, Session session, UserService service)
    {
        var id = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        return TypedResults.Ok(await service.PatchAsync(id, Input.Body(body), session));
    }

    private static async Task<Ok<IEnumerable<SessionInfo>>> ListSessionsAsync(string userId, Session session, UserService service) =>
        TypedResults.Ok(await service.ListSessionsAsync(userId == "me" ? session.UserId : Input.Id(userId, "user_id"), session));

    private static async Task<Ok<StatusOk>> RevokeSessionAsync(string userId, RevokeSessionRequest? body, Session session, UserService service)
    {
        await service.RevokeSessionAsync(userId == "me" ? session.UserId : Input.Id(userId, "user_id"), Input.Body(body).SessionId, session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<StatusOk>> RevokeAllSessionsAsync(string userId, Session session, UserService service)
    {
        await service.RevokeAllSessionsAsync(userId == "me" ? session.UserId : Input.Id(userId, "user_id"), session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<User>> GetByUsernameAsync(string username, Session session, UserService service) =>
        TypedResults.Ok(await service.GetByUsernameAsync(username, session));

    private static async Task<Ok<IEnumerable<User>>> ListAsync([AsParameters] ListQuery query, Session session, UserSearchService service)
    {
        var (p, pp) = Input.Paging(query.Page, query.PerPage);
        var filter = new UserListFilter(query.InTeam, query.NotInTeam, query.InChannel, query.NotInChannel, query.WithoutTeam == true, query.Active == true, query.Inactive == true, query.Role, query.Sort);
        return TypedResults.Ok(await service.ListAsync(filter, p, pp, session));
    }

    private static async Task<Ok<UserAutocomplete>> AutocompleteAsync(
        [FromQuery(Name = "in_team")] string? inTeam, [FromQuery(Name = "in_channel")] string? inChannel, string? name, int? limit, Session session, UserSearchService service) =>
        TypedResults.Ok(await service.AutocompleteAsync(inTeam, inChannel, name, limit, session));

    private static async Task<Ok<IEnumerable<User>>> SearchAsync(UserSearchRequest? body, Session session, UserSearchService service) =>
        TypedResults.Ok(await service.SearchAsync(Input.Body(body), session));

    /// <summary>GET /users' query string.</summary>
    private sealed record ListQuery(
        int? Page,
        [property: FromQuery(Name = "per_page")] int? PerPage,
        [property: FromQuery(Name = "in_team")] string? InTeam,
        [property: FromQuery(Name = "not_in_team")] string? NotInTeam,
        [property: FromQuery(Name = "in_channel")] string? InChannel,
        [property: FromQuery(Name = "not_in_channel")] string? NotInChannel,
        [property: FromQuery(Name = "without_team")] bool? WithoutTeam,
        bool? Active,
        bool? Inactive,
        string? Role,
        string? Sort);

    private static async Task<Ok<IEnumerable<User>>> GetByUsernamesAsync(string[]? body, Session session, UserService service) =>
        TypedResults.Ok(await service.GetManyByUsernameAsync(body, session));

    private static async Task<Ok<IEnumerable<User>>> GetByIdsAsync(string[]? body, Session session, UserService service) =>
        TypedResults.Ok(await service.GetManyAsync(body, session));
}
