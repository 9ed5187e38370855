using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Preferences;

public static class PreferencesEndpoints
{
    public static void MapPreferences(this RouteGroupBuilder api)
    {
        var preferences = api.MapGroup("/users/{userId}/preferences").RequireAuthorization();
        preferences.MapGet("/", GetAllAsync);
        preferences.MapPut("/", UpdateAsync);
        preferences.MapPost("/delete", DeleteAsync);
        preferences.MapGet("/{category}", GetCategoryAsync);
    }

    private static async Task<Ok<IReadOnlyList<Preference>>> GetAllAsync(string userId, Session session, PreferenceService service) =>
        TypedResults.Ok(await service.GetAllAsync(UserId(userId, session), session));

    private static async Task<Ok<IReadOnlyList<Preference>>> GetCategoryAsync(string userId, string category, Session session, PreferenceService service) =>
        TypedResults.Ok(await service.GetCategoryAsync(UserId(userId, session), category, session));

    private static async Task<Ok<StatusOk>> UpdateAsync(string userId, PreferenceRequest[]? body, Session session, PreferenceService service)
    {
        await service.UpdateAsync(UserId(userId, session), body, session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<StatusOk>> DeleteAsync(string userId, PreferenceRequest[]? body, Session session, PreferenceService service)
    {
        await service.DeleteAsync(UserId(userId, session), body, session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static string UserId(string userId, Session session) => userId == "me" ? session.UserId : Input.Id(userId, "user_id");
}
