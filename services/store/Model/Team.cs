using System.Text.RegularExpressions;
using Chat.ServiceDefaults;

namespace Chat.Store.Model;

public static class TeamTypes
{
    public const string Open = "O";
    public const string InviteOnly = "I";
}

public sealed partial record Team
{
    // URL segments of the web app that a team name would shadow.
    private static readonly HashSet<string> ReservedNames = ["admin", "api", "channel", "claim", "error", "files", "help", "landing", "login", "mfa", "oauth", "plug", "plugins", "post", "signup", "boards", "playbooks"];

    public required string Id { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public required string DisplayName { get; init; }
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string Email { get; init; } = "";
    public string Type { get; init; } = TeamTypes.Open;
    public string CompanyName { get; init; } = "";
    public string AllowedDomains { get; init; } = "";
    public string InviteId { get; init; } = "";
    public bool AllowOpenInvite { get; init; }

    /// <summary>The team's URL name: a letter, then 1 to 63 of <c>a-z 0-9 -</c>; not a path of the web app.</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name) && !ReservedNames.Contains(name);

    /// <summary>Mattermost's Team.IsValid for the rules this server keeps (model.team.is_valid.*): the first one broken, or null.</summary>
    public AppErrorException? IsValid()
    {
        if (!IsValidName(Name))
        {
            return AppErrorException.BadRequest("model.team.is_valid.url.app_error", "Team name must be 2 to 64 lowercase letters, numbers or '-', begin with a letter, and not be a reserved word.");
        }
        if (Type is not (TeamTypes.Open or TeamTypes.InviteOnly))
        {
            return AppErrorException.BadRequest("model.team.is_valid.type.app_error", "Team type must be 'O' (open) or 'I' (invite only).");
        }
        return null;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{1,63}$")]
    private static partial Regex NamePattern();
}

public sealed record TeamMember
{
    public required string TeamId { get; init; }
    public required string UserId { get; init; }
    public long DeleteAt { get; init; }
    public bool SchemeGuest { get; init; }
    public bool SchemeUser { get; init; } = true;
    public bool SchemeAdmin { get; init; }
    public string ExplicitRoles { get; init; } = "";
    public long CreateAt { get; init; }
    public string Roles => Model.Roles.OfTeamMember(SchemeAdmin);
}

/// <summary>
/// A user's unread counts in one team (GET /users/me/teams/unread). Unlike a channel member's, <see cref="MsgCount"/>
/// IS the unread number: the sum over the user's channels of the team. The thread counts stay 0 without
/// collapsed reply threads.
/// </summary>
public sealed record TeamUnread
{
    public required string TeamId { get; init; }
    public long MsgCount { get; init; }
    public long MentionCount { get; init; }
    public long MentionCountRoot { get; init; }
    public long MsgCountRoot { get; init; }
    public long ThreadCount { get; init; }
    public long ThreadMentionCount { get; init; }
    public long ThreadUrgentMentionCount { get; init; }
}
