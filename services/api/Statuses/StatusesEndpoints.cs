using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Statuses;

public static class StatusesEndpoints
{
    public static void MapStatuses(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").RequireAuthorization();
        users.MapGet("/{userId}/status", GetAsync);
        users.MapPut("/{userId}/status", SetAsync);
        users.MapPost("/status/ids", GetManyAsync);
    }

    private static async Task<Ok<UserStatus>> GetAsync(string userId, Session session, StatusService service) =>
        TypedResults.Ok(await service.GetAsync(UserId(userId, session)));

    private static async Task<Ok<UserStatus>> SetAsync(string userId, UpdateStatusRequest? body, Session session, StatusService service) =>
        TypedResults.Ok(await service.SetAsync(UserId(userId, session), Input.Body(body), session));

    private static async Task<Ok<IReadOnlyList<UserStatus>>> GetManyAsync(string[]? body, StatusService service) =>
        TypedResults.Ok(await service.GetManyAsync(body));

    private static string UserId(string userId, Session session) => userId == "me" ? session.UserId : Input.Id(userId, "user_id");
}
