namespace Chat.Store.Model;

public static class TeamTypes
{
    public const string Open = "O";
    public const string InviteOnly = "I";
}

public sealed record Team
{
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
}

public sealed record TeamMember
{
    public required string TeamId { get; init; }
    public required string UserId { get; init; }
    public long DeleteAt { get; init; }
    public bool SchemeGuest { get; init; }
    public bool SchemeUser { get; init; } = true;
    public bool SchemeAdmin { get; init; }
    public string Roles => SchemeAdmin ? $"{Model.Roles.TeamUser} {Model.Roles.TeamAdmin}" : Model.Roles.TeamUser;
}
