using System.Reflection;
using Chat.ServiceDefaults;
using Microsoft.AspNetCore.Http;

namespace Chat.Store.Model;

/// <summary>A login. Only the SHA-256 of the token is stored, so a database dump grants no access.</summary>
public sealed record Session
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public long CreateAt { get; init; }
    public long ExpiresAt { get; init; }
    public long LastActivityAt { get; init; }
    public string DeviceId { get; init; } = "";
    public required string Roles { get; init; }
    /// <summary>The user's username, which events name the user by (a post's sender_name).</summary>
    public string Username { get; init; } = "";
    public required string CsrfToken { get; init; }

    /// <summary>Mattermost's IsSystemAdmin: the session's system roles grant manage_system.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSystemAdmin => HasPermission(Permissions.ManageSystem);

    /// <summary>Whether the user's system roles grant <paramref name="permission"/> everywhere (Mattermost's SessionHasPermissionTo).</summary>
    public bool HasPermission(string permission) => DefaultRoles.Grant(Roles, permission);

    /// <summary>
    /// Binds an endpoint handler's <c>Session</c> parameter to the caller's session, which authentication keeps as
    /// the request's <see cref="Session"/> feature. Without one the request is a 401, unless the handler declares
    /// <c>Session?</c> (a route open to anonymous callers).
    /// </summary>
    public static ValueTask<Session?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        if (context.Features.Get<Session>() is { } session)
        {
            return ValueTask.FromResult<Session?>(session);
        }
        // Only reached without a session: on anonymous routes, or on a route that forgot to require one.
        return new NullabilityInfoContext().Create(parameter).ReadState == NullabilityState.Nullable
            ? ValueTask.FromResult<Session?>(null)
            : throw AppErrorException.Unauthorized();
    }
}
