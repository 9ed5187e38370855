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
        users.MapGet("/me", (Session session, UserService service) => GetAsync("me", session, service));
        users.MapGet("/{userId}", GetAsync);
        users.MapPut("/{userId}/patch", PatchAsync);
        users.MapGet("/username/{username}", GetByUsernameAsync);
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

    private static async Task<Ok<User>> PatchAsync(string userId, UserPatchRequest? body, Session session, UserService service)
    {
        var id = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        return TypedResults.Ok(await service.PatchAsync(id, Input.Body(body), session));
    }

    private static async Task<Ok<User>> GetByUsernameAsync(string username, Session session, UserService service) =>
        TypedResults.Ok(await service.GetByUsernameAsync(username, session));

    private static async Task<Ok<IEnumerable<User>>> ListAsync(int? page, [FromQuery(Name = "per_page")] int? perPage, Session session, UserService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.ListAsync(p, pp, session));
    }

    private static async Task<Ok<IEnumerable<User>>> GetByIdsAsync(string[]? body, Session session, UserService service) =>
        TypedResults.Ok(await service.GetManyAsync(body, session));
}
