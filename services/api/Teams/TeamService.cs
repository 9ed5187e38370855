using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.Api.Posts;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Teams;

public sealed record CreateTeamRequest(string? Name, string? DisplayName, string? Type, string? Description, bool? AllowOpenInvite);

public sealed record AddTeamMemberRequest(string? TeamId, string? UserId);

public sealed class TeamService(TeamStore teams, ChannelStore channels, UserStore users, Outbox outbox, SystemPosts systemPosts, ChatConfig config)
{
    public async Task<Team> CreateAsync(CreateTeamRequest request, Session caller)
    {
        Access.Demand(caller.HasPermission(Permissions.CreateTeam));
        var team = new Team { Id = Ids.New(), Name = (request.Name ?? "").Trim(), Type = request.Type ?? TeamTypes.Open, DisplayName = "" };
        if (team.IsValid() is { } invalid)
        {
            throw invalid;
        }
        var now = ChatDatabase.NowMs();
        team = team with
        {
            CreateAt = now,
            UpdateAt = now,
            DisplayName = Input.Text(request.DisplayName, "display_name", 1, 64),
            Description = Input.Text(request.Description, "description", 0, 255),
            InviteId = Ids.New(),
            AllowOpenInvite = request.AllowOpenInvite ?? false,
        };
        (Team Team, IReadOnlyList<Channel> Joined) created;
        try
        {
            // The team comes with its default channels, and its creator joins them as any new member does.
            created = await outbox.WriteAsync(
                async tx =>
                {
                    var saved = await teams.CreateAsync(tx, team, caller.UserId);
                    await channels.CreateDefaultChannelsAsync(tx, saved.Id, now);
                    return (Team: saved, Joined: await channels.JoinDefaultChannelsAsync(tx, saved.Id, caller.UserId, now));
                },
                r => [WebSocketEvents.AddedToTeam.Create(r.Team.Id, caller.UserId), .. r.Joined.Select(c => WebSocketEvents.UserAdded.Create(c, caller.UserId))]);
        }
        catch (DuplicateException)
        {
            throw AppErrorException.BadRequest("store.sql_team.save_team.existing.app_error", "A team with that name already exists.");
        }
        if (await users.GetAsync(caller.UserId) is { } creator)
        {
            await PostJoinedAsync(creator, null, created.Joined);
        }
        return created.Team;
    }

    public async Task<Team> GetAsync(string teamId, Session caller)
    {
        var team = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(IsJoinable(team) || caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.ViewTeam));
        return team;
    }

    public Task<IReadOnlyList<Team>> GetMineAsync(Session caller) => teams.GetForUserAsync(caller.UserId);

    /// <summary>
    /// Joining takes join_public_teams for an open team (every user), join_private_teams otherwise (system admins);
    /// adding someone else, add_user_to_team in the team (its members).
    /// </summary>
    public async Task<TeamMember> AddMemberAsync(string teamId, AddTeamMemberRequest request, Session caller)
    {
        if (request.TeamId is { Length: > 0 } bodyTeam && bodyTeam != teamId)
        {
            throw AppErrorException.InvalidParam("team_id");
        }
        var userId = Input.Id(request.UserId, "user_id");
        var team = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(userId == caller.UserId
            ? caller.HasPermission(IsJoinable(team) ? Permissions.JoinPublicTeams : Permissions.JoinPrivateTeams)
            : caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.AddUserToTeam));
        if (await users.GetAsync(userId) is not { DeleteAt: 0 } user)
        {
            throw AppErrorException.NotFound("User");
        }
        if (await teams.GetMemberAsync(teamId, userId) is { } existing)
        {
            return existing;
        }
        if (await teams.CountMembersAsync(teamId) >= config.TeamSettings.MaxUsersPerTeam)
        {
            throw AppErrorException.BadRequest("app.team.join_user_to_team.max_accounts.app_error", "This team has reached the maximum number of allowed accounts.");
        }
        var now = ChatDatabase.NowMs();
        var (member, joined) = await outbox.WriteAsync(
            async tx =>
            {
                var (member, added) = await teams.AddMemberAsync(tx, teamId, userId, now);
                return (Member: member, Joined: added ? await channels.JoinDefaultChannelsAsync(tx, teamId, userId, now) : null);
            },
            r => r.Joined is { } channelsJoined
                ? [WebSocketEvents.AddedToTeam.Create(teamId, userId), .. channelsJoined.Select(c => WebSocketEvents.UserAdded.Create(c, userId))]
                : []);
        if (joined is not null)
        {
            await PostJoinedAsync(user, userId == caller.UserId ? null : await users.GetAsync(caller.UserId), joined);
        }
        return member;
    }

    public async Task<IReadOnlyList<TeamMember>> GetMembersAsync(string teamId, int page, int perPage, Session caller)
    {
        _ = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.ViewTeam));
        return await teams.GetMembersAsync(teamId, page, perPage);
    }

    /// <summary>Users may leave; removing others takes remove_user_from_team (team and system admins).</summary>
    public async Task RemoveMemberAsync(string teamId, string userId, Session caller)
    {
        _ = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(userId == caller.UserId
            || caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.RemoveUserFromTeam));
        var channelsLeft = await outbox.WriteAsync(
            tx => teams.RemoveMemberAsync(tx, teamId, userId),
            left => left is null ? [] : WebSocketEvents.LeaveTeam.Create(teamId, userId, left));
        if (channelsLeft is null)
        {
            throw AppErrorException.NotFound("Team member");
        }
    }

    /// <summary>Joining town-square is reported as joining the team, as Mattermost does; the other channels as joining them.</summary>
    private async Task PostJoinedAsync(User user, User? adder, IReadOnlyList<Channel> joined)
    {
        foreach (var channel in joined)
        {
            await (channel.Name == DefaultChannels.TownSquare
                ? systemPosts.JoinedTeamAsync(user, adder, channel)
                : systemPosts.JoinedChannelAsync(user, adder, channel));
        }
    }

    internal static bool IsJoinable(Team team) => team.Type == TeamTypes.Open && team.AllowOpenInvite && team.DeleteAt == 0;
}
