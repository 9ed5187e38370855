using System.Reflection;
using Chat.Api.Authorization;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.UnitTests;

/// <summary>The default roles as data, and the permission checks that read them.</summary>
public sealed class PermissionsTests
{
    private static readonly Session User = new() { Id = Ids.New(), UserId = Ids.New(), Roles = Roles.SystemUser, CsrfToken = "" };
    private static readonly Session Admin = User with { Roles = $"{Roles.SystemUser} {Roles.SystemAdmin}" };

    [Fact]
    public void Every_permission_the_server_checks_is_in_the_catalogue()
    {
        var named = typeof(Permissions).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        Assert.NotEmpty(named);
        Assert.All(named, p => Assert.Contains(p, Permissions.All));
    }

    [Fact]
    public void The_catalogue_holds_the_web_apps_265_ids_and_the_servers_own_ones_once_each()
    {
        Assert.Equal(Permissions.All.Count, Permissions.All.Distinct().Count());
        Assert.Equal(265 + 16, Permissions.All.Count);
        Assert.All(Permissions.All, p => Assert.Matches("^[a-z0-9_]+$", p));
    }

    [Fact]
    public void Every_role_grants_only_catalogued_permissions_and_system_admin_grants_them_all()
    {
        foreach (var role in DefaultRoles.ByName.Values)
        {
            Assert.All(role.Permissions, p => Assert.Contains(p, Permissions.All));
            Assert.Equal(role.Permissions.Count, role.Permissions.Distinct().Count());
        }
        Assert.Equal(Permissions.All.Order(), DefaultRoles.ByName[Roles.SystemAdmin].Permissions.Order());
        Assert.All(Permissions.All, p => Assert.True(Admin.HasPermission(p), p));
    }

    [Fact]
    public void Role_ids_are_valid_distinct_and_the_same_on_every_node()
    {
        var roles = DefaultRoles.ByName.Values.ToList();
        Assert.All(roles, r => Assert.True(Ids.IsValid(r.Id), r.Name));
        Assert.Equal(roles.Count, roles.Select(r => r.Id).Distinct().Count());
        // Derived from the name alone: another process computes the same id.
        Assert.All(roles, r => Assert.Equal(Ids.Derived("role:" + r.Name), r.Id));
        Assert.Same(DefaultRoles.ByName["team_user"], DefaultRoles.ById(DefaultRoles.ByName["team_user"].Id));
        Assert.Null(DefaultRoles.ById(Ids.New()));
    }

    [Fact]
    public void Roles_read_as_Mattermost_serves_them()
    {
        var user = DefaultRoles.ByName[Roles.SystemUser];
        Assert.Equal("authentication.roles.global_user.name", user.DisplayName);
        Assert.Equal("authentication.roles.global_user.description", user.Description);
        Assert.True(user.SchemeManaged);
        Assert.True(user.BuiltIn);
        Assert.Equal("authentication.roles.team_user.name", DefaultRoles.ByName[Roles.TeamUser].DisplayName);
        Assert.False(DefaultRoles.ByName["system_post_all"].SchemeManaged);
        Assert.False(DefaultRoles.ByName["custom_group_user"].BuiltIn);
        Assert.Equal(
            ["list_team_channels", "join_public_channels", "read_public_channel", "view_team", "create_public_channel", "create_private_channel", "invite_user", "add_user_to_team", "playbook_public_create", "playbook_private_create"],
            DefaultRoles.ByName[Roles.TeamUser].Permissions);
        Assert.DoesNotContain(Permissions.ManageSystem, user.Permissions);
        // As Mattermost's migrations leave them: team admins manage any channel's members, as channel admins do.
        Assert.Contains(Permissions.ManagePrivateChannelMembers, DefaultRoles.ByName[Roles.TeamAdmin].Permissions);
        Assert.Contains(Permissions.CreatePost, DefaultRoles.ByName[Roles.ChannelAdmin].Permissions);
        // The system console roles carry the permissions their sysconsole views need.
        Assert.Contains("get_logs", DefaultRoles.ByName["system_read_only_admin"].Permissions);
        Assert.Contains("edit_brand", DefaultRoles.ByName["system_manager"].Permissions);
    }

    [Theory]
    [InlineData("system_user", "create_direct_channel", true)]
    [InlineData("system_user", "manage_system", false)]
    [InlineData("system_user system_admin", "manage_system", true)]
    [InlineData("  team_user   team_admin ", "delete_others_posts", true)]
    [InlineData("no_such_role", "create_post", false)]
    [InlineData("", "create_post", false)]
    public void A_role_list_grants_what_any_of_its_roles_grants(string roles, string permission, bool granted) =>
        Assert.Equal(granted, DefaultRoles.Grant(roles, permission));

    private static ChannelAccess Access(string type, bool channelMember = false, bool channelAdmin = false, bool teamMember = false, bool teamAdmin = false) =>
        new(new Channel { Id = Ids.New(), TeamId = Ids.New(), Type = type, Name = "c" }, channelMember, channelAdmin, teamMember, teamAdmin);

    [Fact]
    public void A_channel_permission_comes_from_the_system_the_team_or_the_channel_roles()
    {
        var teammate = Access(ChannelTypes.Private, teamMember: true);
        Assert.True(User.HasChannelPermission(teammate, Permissions.CreatePrivateChannel)); // team_user
        Assert.False(User.HasChannelPermission(teammate, Permissions.CreatePost));
        Assert.True(User.HasChannelPermission(Access(ChannelTypes.Private, channelMember: true, teamMember: true), Permissions.CreatePost)); // channel_user
        Assert.True(User.HasChannelPermission(Access(ChannelTypes.Private, teamMember: true, teamAdmin: true), Permissions.DeleteOthersPosts)); // team_admin
        Assert.True(Admin.HasChannelPermission(Access(ChannelTypes.Private), Permissions.DeleteOthersPosts)); // system_admin
        // Roles of a membership the user does not have grant nothing.
        Assert.False(User.HasChannelPermission(Access(ChannelTypes.Private, channelAdmin: true, teamAdmin: true), Permissions.ReadChannel));
    }

    [Fact]
    public void Reading_a_channel_takes_read_channel_or_for_a_public_one_read_public_channel_in_its_team()
    {
        Assert.True(Access(ChannelTypes.Open, teamMember: true).CanRead(User));
        Assert.False(Access(ChannelTypes.Private, teamMember: true).CanRead(User));
        Assert.True(Access(ChannelTypes.Private, channelMember: true, teamMember: true).CanRead(User));
        Assert.False(Access(ChannelTypes.Open).CanRead(User));
        Assert.True(Access(ChannelTypes.Private).CanRead(Admin));
        Assert.False(Access(ChannelTypes.Open, teamMember: true).CanPost(User));
        Assert.True(Access(ChannelTypes.Open, channelMember: true, teamMember: true).CanPost(User));
    }

    [Fact]
    public void Team_permissions_come_from_the_system_roles_or_the_membership()
    {
        var member = new TeamMember { TeamId = Ids.New(), UserId = User.UserId };
        Assert.True(User.HasTeamPermission(member, Permissions.ViewTeam));
        Assert.False(User.HasTeamPermission((TeamMember?)null, Permissions.ViewTeam));
        Assert.False(User.HasTeamPermission(member, Permissions.RemoveUserFromTeam));
        Assert.True(User.HasTeamPermission(member with { SchemeAdmin = true }, Permissions.RemoveUserFromTeam));
        Assert.True(Admin.HasTeamPermission((TeamMember?)null, Permissions.RemoveUserFromTeam));
        Assert.True(Admin.IsSystemAdmin);
        Assert.False(User.IsSystemAdmin);
    }
}
