using Chat.Api.Authorization;
using Chat.Authentication;
using Chat.Configuration;
using Chat.Store.Model;
using Microsoft.AspNetCore.Authentication;
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
        users.MapGet("/me", (HttpContext context, UserService service) => GetAsync("me", context, service));
        users.MapGet("/{userId}", GetAsync);
        users.MapPut("/{userId}/patch", PatchAsync);
        users.MapGet("/username/{username}", GetByUsernameAsync);
    }

    /// <summary>Open sign-up needs no session; with one (an admin creating a user) it is authenticated as usual.</summary>
    private static async Task<Created<User>> CreateAsync(CreateUserRequest? body, HttpContext context, UserService service)
    {
        var authenticated = await context.AuthenticateAsync();
        var caller = authenticated.Succeeded ? CurrentSession.Of(context) : null;
        var user = await service.CreateAsync(Input.Body(body), caller);
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

    private static async Task<Ok<StatusOk>> LogoutAsync(HttpContext context, UserService service)
    {
        await service.LogoutAsync(CurrentSession.Of(context));
        SessionTokens.DeleteLoginCookies(context.Response);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<User>> GetAsync(string userId, HttpContext context, UserService service)
    {
        var session = CurrentSession.Of(context);
        var id = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        return TypedResults.Ok(await service.GetAsync(id, session));
    }

    private static async Task<Ok<User>> PatchAsync(string userId, UserPatchRequest? body, HttpContext context, UserService service)
    {
        var session = CurrentSession.Of(context);
        var id = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        return TypedResults.Ok(await service.PatchAsync(id, Input.Body(body), session));
    }

    private static async Task<Ok<User>> GetByUsernameAsync(string username, HttpContext context, UserService service) =>
        TypedResults.Ok(await service.GetByUsernameAsync(username, CurrentSession.Of(context)));

    private static async Task<Ok<IEnumerable<User>>> ListAsync(int? page, [FromQuery(Name = "per_page")] int? perPage, HttpContext context, UserService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.ListAsync(p, pp, CurrentSession.Of(context)));
    }

    private static async Task<Ok<IEnumerable<User>>> GetByIdsAsync(string[]? body, HttpContext context, UserService service) =>
        TypedResults.Ok(await service.GetManyAsync(body, CurrentSession.Of(context)));
}
