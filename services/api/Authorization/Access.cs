using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Authorization;

/// <summary>
/// Mattermost's permission checks over the default roles (<see cref="DefaultRoles"/>), the same table the roles API
/// serves. A permission is granted in a team if the user's system roles or their team member roles have it, and in a
/// channel if any of their system, team (the channel's team) or channel member roles has it.
/// </summary>
public static class Access
{
    /// <summary>Mattermost's SessionHasPermissionToTeam.</summary>
    public static bool HasTeamPermission(this Session session, TeamMember? member, string permission) =>
        session.HasPermission(permission) || (member is not null && DefaultRoles.Grant(member.Roles, permission));

    /// <summary>Mattermost's SessionHasPermissionToTeam for the channel's team.</summary>
    public static bool HasTeamPermission(this Session session, ChannelAccess access, string permission) =>
        session.HasPermission(permission) || (access.IsTeamMember && DefaultRoles.Grant(Roles.OfTeamMember(access.IsTeamAdmin), permission));

    /// <summary>Mattermost's SessionHasPermissionToChannel.</summary>
    public static bool HasChannelPermission(this Session session, ChannelAccess access, string permission) =>
        session.HasTeamPermission(access, permission)
        || (access.IsChannelMember && DefaultRoles.Grant(Roles.OfChannelMember(access.IsChannelAdmin), permission));

    /// <summary>read_channel, or for a public channel read_public_channel in its team (Mattermost's getChannel).</summary>
    public static bool CanRead(this ChannelAccess access, Session session) =>
        session.HasChannelPermission(access, Permissions.ReadChannel)
        || (access.Channel.Type == ChannelTypes.Open && session.HasTeamPermission(access, Permissions.ReadPublicChannel));

    /// <summary>create_post, or for a public channel create_post_public (Mattermost's createPost).</summary>
    public static bool CanPost(this ChannelAccess access, Session session) =>
        session.HasChannelPermission(access, Permissions.CreatePost)
        || (access.Channel.Type == ChannelTypes.Open && session.HasChannelPermission(access, Permissions.CreatePostPublic));

    /// <summary>The permission to add and remove others: manage_public_channel_members or manage_private_channel_members.</summary>
    public static string ManageMembersPermission(this Channel channel) =>
        channel.Type == ChannelTypes.Open ? Permissions.ManagePublicChannelMembers : Permissions.ManagePrivateChannelMembers;

    public static void Demand(bool allowed)
    {
        if (!allowed)
        {
            throw AppErrorException.Forbidden();
        }
    }

    /// <summary>Mattermost's SessionHasPermissionTo(manage_system): system admins only, a 403 for anyone else.</summary>
    public static void DemandSystemAdmin(Session session) => Demand(session.HasPermission(Permissions.ManageSystem));

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
