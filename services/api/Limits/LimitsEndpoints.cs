using System.Text.Json.Serialization;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Limits;

/// <summary>Mattermost's ServerLimits; unlike most of its API, the keys are camelCase.</summary>
public sealed record ServerLimits(
    [property: JsonPropertyName("activeUserCount")] long ActiveUserCount,
    [property: JsonPropertyName("maxUsersLimit")] long MaxUsersLimit,
    [property: JsonPropertyName("maxUsersHardLimit")] long MaxUsersHardLimit,
    [property: JsonPropertyName("lastAccessiblePostTime")] long LastAccessiblePostTime,
    [property: JsonPropertyName("postHistoryLimit")] long PostHistoryLimit,
    [property: JsonPropertyName("singleChannelGuestCount")] long SingleChannelGuestCount,
    [property: JsonPropertyName("singleChannelGuestLimit")] long SingleChannelGuestLimit);

public static class LimitsEndpoints
{
    public static void MapLimits(this RouteGroupBuilder api)
    {
        api.MapGet("/limits/server", GetServerLimitsAsync).RequireAuthorization();
    }

    /// <summary>
    /// Every user may ask (the web app does at boot). This server limits neither users nor post history, so every
    /// limit is 0 (none); as in Mattermost, only admins who may read the user management pages learn the number of
    /// active users.
    /// </summary>
    private static async Task<Ok<ServerLimits>> GetServerLimitsAsync(Session session, UserStore users)
    {
        var admin = session.IsSystemAdmin && session.HasPermission(Permissions.SysconsoleReadUserManagementUsers);
        return TypedResults.Ok(new ServerLimits(admin ? await users.CountActiveAsync() : 0, 0, 0, 0, 0, 0, 0));
    }
}
