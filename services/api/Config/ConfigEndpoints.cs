using System.Text.Json.Nodes;
using Chat.Api.Authorization;
using Chat.Authentication;
using Chat.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Config;

public static class ConfigEndpoints
{
    public static void MapConfig(this RouteGroupBuilder api)
    {
        var config = api.MapGroup("/config");
        config.MapGet("/", Get).RequireAuthorization();
        config.MapPut("/", UpdateAsync).RequireAuthorization();
        config.MapPost("/reload", ReloadAsync).RequireAuthorization();
        config.MapGet("/client", Client);
    }

    private static Ok<JsonObject> Get(HttpContext context, ConfigService service)
    {
        Access.Demand(CurrentSession.Of(context).IsSystemAdmin);
        return TypedResults.Ok(service.Get());
    }

    private static async Task<Ok<JsonObject>> UpdateAsync(JsonObject? body, HttpContext context, ConfigService service)
    {
        Access.Demand(CurrentSession.Of(context).IsSystemAdmin);
        return TypedResults.Ok(await service.UpdateAsync(Input.Body(body)));
    }

    private static async Task<Ok<ConfigReloadResult>> ReloadAsync(HttpContext context, ConfigService service)
    {
        Access.Demand(CurrentSession.Of(context).IsSystemAdmin);
        return TypedResults.Ok(await service.ReloadAsync());
    }

    /// <summary>Only the old format exists; asking for another is bad input.</summary>
    private static Ok<Dictionary<string, string>> Client(string? format, ConfigService service)
    {
        if (format != "old")
        {
            throw AppErrorException.BadRequest("api.config.client.old_format.app_error", "New format for the client configuration is not supported yet. Please specify format=old in the query string.");
        }
        return TypedResults.Ok(service.Client());
    }
}
