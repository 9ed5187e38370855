using Chat.Api.Authorization;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Users;

/// <summary>GET /users' filters (Mattermost's getUsers query): every one that is set applies.</summary>
public sealed record UserListFilter(string? InTeam, string? NotInTeam, string? InChannel, string? NotInChannel, bool WithoutTeam, bool Active, bool Inactive, string? Role, string? Sort);

/// <summary>Mattermost's UserSearch body of POST /users/search.</summary>
public sealed record UserSearchRequest(string? Term, string? TeamId, string? NotInTeamId, string? InChannelId, string? NotInChannelId, bool? AllowInactive, bool? WithoutTeam, int? Limit);

/// <summary>Mattermost's UserAutocomplete; out_of_channel only when a channel was given.</summary>
public sealed record UserAutocomplete(IEnumerable<User> Users, IEnumerable<User>? OutOfChannel);

/// <summary>
/// Listing and finding users with Mattermost's permission rules: a team filter needs view_team (team members), a
/// channel filter read_channel (who may read the channel), users without a team list_users_without_team (system
/// admins); everyone else may list all users (view_members). Names match by prefix: each word of the term must begin
/// the username, nickname, first or last name (names only while PrivacySettings.ShowFullName, or for admins), or for
/// a search the email (while ShowEmailAddress); a leading "@" is ignored. Users come out sanitised.
/// </summary>
public sealed class UserSearchService(UserStore users, TeamStore teams, ChannelStore channels, UserService profiles, ChatConfig config)
{
    private const int MaxAutocomplete = 100;
    private const int DefaultSearchLimit = 100;
    private const int MaxSearchLimit = 1000;

    public async Task<IEnumerable<User>> ListAsync(UserListFilter filter, int page, int perPage, Session caller)
    {
        var inTeam = OptionalId(filter.InTeam, "in_team");
        var inChannel = OptionalId(filter.InChannel, "in_channel");
        var notInChannel = OptionalId(filter.NotInChannel, "not_in_channel");
        if (notInChannel is not null && inTeam is null)
        {
            throw AppErrorException.InvalidParam("team_id");
        }
        if (filter.Active && filter.Inactive)
        {
            throw AppErrorException.InvalidParam("inactive");
        }
        var order = (filter.Sort ?? "") switch
        {
            "" or "username" => UserOrder.Username,
            "create_at" when inTeam is not null && inChannel is null && notInChannel is null => UserOrder.CreateAt,
            "last_activity_at" when inTeam is not null && inChannel is null && notInChannel is null => UserOrder.LastActivity,
            "admin" when inChannel is not null => UserOrder.ChannelAdminsFirst,
            // Statuses are not stored with users: every member sorts as offline, which leaves the username order.
            "status" when inChannel is not null => UserOrder.Username,
            _ => throw AppErrorException.InvalidParam("sort"),
        };
        var query = new UserQuery
        {
            InTeam = inTeam,
            NotInTeam = OptionalId(filter.NotInTeam, "not_in_team"),
            InChannel = inChannel,
            NotInChannel = notInChannel,
            WithoutTeam = filter.WithoutTeam,
            Active = filter.Active ? true : filter.Inactive ? false : null,
            Role = OptionalRole(filter.Role),
            Order = order,
            Offset = (long)page * perPage,
            Limit = perPage,
        };
        await DemandVisibleAsync(query, caller);
        return (await users.QueryAsync(query)).Select(u => profiles.Sanitize(u, caller));
    }

    /// <summary>
    /// With a channel: its members that match, and the active members of the team (the given one, else the
    /// channel's) that match and are not in the channel. With only a team: its members that match. Inactive users
    /// are left out; each list is in username order, at most <paramref name="limit"/> (default and most: 100).
    /// </summary>
    public async Task<UserAutocomplete> AutocompleteAsync(string? teamId, string? channelId, string? name, int? limit, Session caller)
    {
        var count = limit switch
        {
            null => MaxAutocomplete,
            < 1 => throw AppErrorException.InvalidParam("limit"),
            _ => Math.Min(limit.Value, MaxAutocomplete),
        };
        var inTeam = OptionalId(teamId, "in_team");
        var inChannel = OptionalId(channelId, "in_channel");
        var match = new UserQuery { Words = Words(name), MatchFullNames = MatchFullNames(caller), Active = true, Limit = count };
        if (inChannel is not null)
        {
            var channel = await ReadableChannelAsync(inChannel, caller);
            var team = inTeam ?? (channel.TeamId.Length > 0 ? channel.TeamId : null);
            if (inTeam is not null)
            {
                await DemandTeamMemberAsync(inTeam, caller);
            }
            var inside = await users.QueryAsync(match with { InChannel = inChannel });
            var outside = team is null ? [] : await users.QueryAsync(match with { InTeam = team, NotInChannel = inChannel });
            return new UserAutocomplete(Sanitize(inside, caller), Sanitize(outside, caller));
        }
        if (inTeam is not null)
        {
            await DemandTeamMemberAsync(inTeam, caller);
        }
        return new UserAutocomplete(Sanitize(await users.QueryAsync(match with { InTeam = inTeam }), caller), null);
    }

    public async Task<IEnumerable<User>> SearchAsync(UserSearchRequest request, Session caller)
    {
        var words = Words(request.Term);
        if (words.Count == 0)
        {
            throw AppErrorException.InvalidParam("term");
        }
        var teamId = OptionalId(request.TeamId, "team_id");
        var notInChannel = OptionalId(request.NotInChannelId, "not_in_channel_id");
        if (notInChannel is not null && teamId is null)
        {
            throw AppErrorException.InvalidParam("team_id");
        }
        var limit = request.Limit switch
        {
            null or 0 => DefaultSearchLimit,
            < 0 or > MaxSearchLimit => throw AppErrorException.InvalidParam("limit"),
            _ => request.Limit.Value,
        };
        var query = new UserQuery
        {
            InTeam = teamId,
            NotInTeam = OptionalId(request.NotInTeamId, "not_in_team_id"),
            InChannel = OptionalId(request.InChannelId, "in_channel_id"),
            NotInChannel = notInChannel,
            WithoutTeam = request.WithoutTeam == true,
            Active = request.AllowInactive == true ? null : true,
            Words = words,
            MatchFullNames = MatchFullNames(caller),
            MatchEmails = caller.IsSystemAdmin || config.PrivacySettings.ShowEmailAddress,
            Limit = limit,
        };
        await DemandVisibleAsync(query, caller);
        return Sanitize(await users.QueryAsync(query), caller);
    }

    /// <summary>Each filter of the query needs its permission: view_team, read_channel, list_users_without_team.</summary>
    private async Task DemandVisibleAsync(UserQuery query, Session caller)
    {
        foreach (var team in new[] { query.InTeam, query.NotInTeam }.OfType<string>())
        {
            await DemandTeamMemberAsync(team, caller);
        }
        foreach (var channel in new[] { query.InChannel, query.NotInChannel }.OfType<string>())
        {
            await ReadableChannelAsync(channel, caller);
        }
        Access.Demand(!query.WithoutTeam || caller.IsSystemAdmin);
    }

    private async Task DemandTeamMemberAsync(string teamId, Session caller)
    {
        _ = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(caller.IsSystemAdmin || await teams.GetMemberAsync(teamId, caller.UserId) is not null);
    }

    private async Task<Channel> ReadableChannelAsync(string channelId, Session caller)
    {
        var access = await channels.GetAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(access.CanRead(caller));
        return access.Channel;
    }

    private bool MatchFullNames(Session caller) => caller.IsSystemAdmin || config.PrivacySettings.ShowFullName;

    private IEnumerable<User> Sanitize(IEnumerable<User> found, Session caller) => found.Select(u => profiles.Sanitize(u, caller));

    /// <summary>Empty means absent, as the web app sends in_team= and in_channel=.</summary>
    private static string? OptionalId(string? value, string name) => string.IsNullOrEmpty(value) ? null : Input.Id(value, name);

    private static string? OptionalRole(string? role) =>
        string.IsNullOrEmpty(role) ? null
        : role.Length <= 64 && role.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') ? role
        : throw AppErrorException.InvalidParam("role");

    /// <summary>The term's words, lower case, without a leading "@"; at most 64 characters of term count.</summary>
    private static IReadOnlyList<string> Words(string? term)
    {
        var text = (term ?? "").Trim();
        if (text.Length > 64)
        {
            throw AppErrorException.InvalidParam("term");
        }
        return [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.TrimStart('@').ToLowerInvariant()).Where(w => w.Length > 0)];
    }
}
