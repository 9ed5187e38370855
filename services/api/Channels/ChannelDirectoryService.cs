using System.Text.RegularExpressions;
using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Channels;

public sealed record ChannelSearchRequest(string? Term);

/// <summary>
/// Browsing a team's channels: its public channels (list_team_channels, which team members have), a search among
/// them, and any channel by name, which the caller may read (read_public_channel for a team member; a private
/// channel only for its members, else it is not found).
/// </summary>
public sealed partial class ChannelDirectoryService(ChannelStore channels, TeamStore teams)
{
    private const int MaxSearchResults = 100;

    public async Task<IReadOnlyList<Channel>> GetPublicAsync(string teamId, int page, int perPage, Session caller)
    {
        await DemandTeamMemberAsync(teamId, caller);
        return await channels.GetPublicForTeamAsync(teamId, page, perPage);
    }

    /// <summary>Every word of the term (runs of letters and digits) must begin a word of the channel's name or display name.</summary>
    public async Task<IReadOnlyList<Channel>> SearchPublicAsync(string teamId, ChannelSearchRequest request, Session caller)
    {
        var term = Input.Text(request.Term, "term", 0, 64).ToLowerInvariant();
        await DemandTeamMemberAsync(teamId, caller);
        return await channels.SearchPublicAsync(teamId, [.. Word().Matches(term).Select(m => m.Value)], MaxSearchResults);
    }

    public async Task<Channel> GetByNameAsync(string teamId, string name, bool includeDeleted, Session caller) =>
        await ReadableAsync(await channels.GetByNameAsync(teamId, ValidName(name), includeDeleted), caller);

    public async Task<Channel> GetByTeamNameAsync(string teamName, string name, bool includeDeleted, Session caller)
    {
        if (!Team.IsValidName(teamName))
        {
            throw AppErrorException.InvalidParam("team_name");
        }
        return await ReadableAsync(await channels.GetByTeamNameAsync(teamName, ValidName(name), includeDeleted), caller);
    }

    private async Task<Channel> ReadableAsync(Channel? found, Session caller)
    {
        var access = found is null ? null : await channels.GetAccessAsync(found.Id, caller.UserId);
        return access is not null && access.CanRead(caller)
            ? access.Channel
            : throw new AppErrorException(404, "app.channel.get_by_name.missing.app_error", "Channel does not exist.");
    }

    private async Task DemandTeamMemberAsync(string teamId, Session caller)
    {
        _ = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(caller.IsSystemAdmin || await teams.GetMemberAsync(teamId, caller.UserId) is not null);
    }

    /// <summary>A team channel's name, or a direct or group channel's (two ids joined by "__", a 40-digit hash).</summary>
    private static string ValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_')
            ? name
            : throw AppErrorException.InvalidParam("channel_name");

    [GeneratedRegex(@"[\p{L}\p{Nd}]+")]
    private static partial Regex Word();
}
