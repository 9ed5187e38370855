using System.Text.RegularExpressions;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Authorization;

/// <summary>Mattermost's roles API over the default roles: what clients load to know what a user may do.</summary>
public static partial class RolesEndpoints
{
    private const int MaxNames = 100;

    public static void MapRoles(this RouteGroupBuilder api)
    {
        var roles = api.MapGroup("/roles").RequireAuthorization();
        roles.MapGet("/", List);
        roles.MapPost("/names", GetByNames);
        roles.MapGet("/name/{roleName}", GetByName);
        roles.MapGet("/{roleId}", Get);
    }

    /// <summary>Every role, for those who may read the permission settings (system admins).</summary>
    private static Ok<IEnumerable<Role>> List(Session session)
    {
        Access.Demand(session.HasPermission(Permissions.SysconsoleReadUserManagementPermissions));
        return TypedResults.Ok<IEnumerable<Role>>(DefaultRoles.ByName.Values.OrderBy(r => r.Name, StringComparer.Ordinal));
    }

    /// <summary>The roles of the names that exist, each once; blank names are skipped, a malformed one is a 400.</summary>
    private static Ok<IEnumerable<Role>> GetByNames(string[]? body)
    {
        var names = (body ?? []).Where(n => !string.IsNullOrWhiteSpace(n)).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count is 0 || body!.Length > MaxNames || names.Any(n => !RoleName().IsMatch(n)))
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", $"Expected a JSON array of 1 to {MaxNames} role names.");
        }
        return TypedResults.Ok(names.Select(n => DefaultRoles.ByName.GetValueOrDefault(n)).OfType<Role>());
    }

    private static Ok<Role> GetByName(string roleName) => RoleName().IsMatch(roleName)
        ? TypedResults.Ok(DefaultRoles.ByName.GetValueOrDefault(roleName)
            ?? throw new AppErrorException(404, "app.role.get_by_name.app_error", "Unable to get role."))
        : throw AppErrorException.InvalidParam("role_name");

    private static Ok<Role> Get(string roleId) =>
        TypedResults.Ok(DefaultRoles.ById(Input.Id(roleId, "role_id"))
            ?? throw new AppErrorException(404, "app.role.get.app_error", "Unable to get role."));

    [GeneratedRegex("^[a-z0-9_]{1,64}$")]
    private static partial Regex RoleName();
}
