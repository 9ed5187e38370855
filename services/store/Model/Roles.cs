namespace Chat.Store.Model;

/// <summary>Mattermost's built-in role names, stored and sent as space-separated lists.</summary>
public static class Roles
{
    public const string SystemUser = "system_user";
    public const string SystemAdmin = "system_admin";
    public const string TeamUser = "team_user";
    public const string TeamAdmin = "team_admin";
    public const string ChannelUser = "channel_user";
    public const string ChannelAdmin = "channel_admin";

    public static bool Contains(string roles, string role) =>
        roles.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(role, StringComparer.Ordinal);
}
