using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Teams;

/// <summary>A page of teams, with the number of all such teams when asked for (Mattermost's TeamsWithCount).</summary>
public sealed record TeamsWithCount(IReadOnlyList<Team> Teams, long TotalCount);

/// <summary>
/// The teams a user may find: every user may list the teams anyone may join (list_public_teams), system admins
/// every team (list_private_teams too). What only a team's admins may see of it (its email and invite id) is
/// blanked for everyone else, as Mattermost's SanitizeTeam does.
/// </summary>
public sealed class TeamDirectoryService(TeamStore teams)
{
    public async Task<(IReadOnlyList<Team> Teams, long? Total)> ListAsync(int page, int perPage, bool withTotal, Session caller)
    {
        var (found, total) = await teams.ListAsync(joinableOnly: !caller.IsSystemAdmin, page, perPage, withTotal);
        return (await SanitizeAsync(found, caller), total);
    }

    /// <summary>A team its members may see, and anyone if anyone may join it.</summary>
    public async Task<Team> GetByNameAsync(string name, Session caller)
    {
        if (!Team.IsValidName(name))
        {
            throw AppErrorException.InvalidParam("team_name");
        }
        var team = await teams.GetByNameAsync(name) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(caller.IsSystemAdmin || TeamService.IsJoinable(team) || await teams.GetMemberAsync(team.Id, caller.UserId) is not null);
        return (await SanitizeAsync([team], caller))[0];
    }

    private async Task<IReadOnlyList<Team>> SanitizeAsync(IReadOnlyList<Team> found, Session caller)
    {
        if (caller.IsSystemAdmin || found.Count == 0)
        {
            return found;
        }
        var administered = (await teams.GetAdministeredAsync(caller.UserId)).ToHashSet(StringComparer.Ordinal);
        return [.. found.Select(t => administered.Contains(t.Id) ? t : t with { Email = "", InviteId = "" })];
    }
}
