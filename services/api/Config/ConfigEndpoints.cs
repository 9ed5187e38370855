using System.Text.Json.Nodes;
using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Config;

public static class ConfigEndpoints
{
    public static void MapConfig(this RouteGroupBuilder api)
    {
        var config = api.MapGroup("/config").RequireSystemAdmin();
        config.MapGet("/", Get);
        config.MapPut("/", UpdateAsync);
        config.MapPost("/reload", ReloadAsync);

        api.MapGet("/config/client", Client);
    }

    private static Ok<JsonObject> Get(ConfigService service) => TypedResults.Ok(service.Get());

    private static async Task<Ok<JsonObject>> UpdateAsync(JsonObject? body, ConfigService service) =>
        TypedResults.Ok(await service.UpdateAsync(Input.Body(body)));

    private static async Task<Ok<ConfigReloadResult>> ReloadAsync(ConfigService service) => TypedResults.Ok(await service.ReloadAsync());

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
