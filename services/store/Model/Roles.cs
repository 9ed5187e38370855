namespace Chat.Store.Model;

/// <summary>
/// Mattermost's built-in role names, stored and sent as space-separated lists. What each grants is <see cref="DefaultRoles"/>.
/// </summary>
public static class Roles
{
    public const string SystemUser = "system_user";
    public const string SystemAdmin = "system_admin";
    public const string TeamUser = "team_user";
    public const string TeamAdmin = "team_admin";
    public const string ChannelUser = "channel_user";
    public const string ChannelAdmin = "channel_admin";

    /// <summary>A team member's roles: every member is a team_user, scheme admins also team_admin.</summary>
    public static string OfTeamMember(bool schemeAdmin) => schemeAdmin ? $"{TeamUser} {TeamAdmin}" : TeamUser;

    /// <summary>A channel member's roles: every member is a channel_user, scheme admins also channel_admin.</summary>
    public static string OfChannelMember(bool schemeAdmin) => schemeAdmin ? $"{ChannelUser} {ChannelAdmin}" : ChannelUser;
}
