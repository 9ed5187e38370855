using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Authorization;

/// <summary>Mattermost's default permission scheme for what a session may see and do.</summary>
public static class Access
{
    public static bool CanRead(this ChannelAccess access, Session session) =>
        session.IsSystemAdmin
        || access.IsChannelMember
        || (access.Channel.Type == ChannelTypes.Open && access.IsTeamMember);

    /// <summary>Posting requires membership, as Mattermost's create_post does.</summary>
    public static bool CanPost(this ChannelAccess access, Session session) => access.IsChannelMember || session.IsSystemAdmin;

    /// <summary>Adding or removing others: channel, team or system admins; for adding, any member of the channel.</summary>
    public static bool CanManageMembers(this ChannelAccess access, Session session) =>
        session.IsSystemAdmin || access.IsChannelAdmin || (access.IsTeamAdmin && access.Channel.Type == ChannelTypes.Open);

    public static void Demand(bool allowed)
    {
        if (!allowed)
        {
            throw AppErrorException.Forbidden();
        }
    }

    /// <summary>Mattermost's SessionHasPermissionTo(manage_system): system admins only, a 403 for anyone else.</summary>
    public static void DemandSystemAdmin(Session session) => Demand(session.IsSystemAdmin);

    /// <summary>
    /// Every route of <paramref name="builder"/> (a group, usually) is for system admins: authentication is required
    /// and <see cref="DemandSystemAdmin"/> runs after the request is bound, before the handler. Filters added to the
    /// group earlier run first.
    /// </summary>
    public static TBuilder RequireSystemAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization();
        builder.AddEndpointFilter(static (invocation, next) =>
        {
            DemandSystemAdmin(invocation.HttpContext.Features.Get<Session>() ?? throw AppErrorException.Unauthorized());
            return next(invocation);
        });
        return builder;
    }
}
