namespace Chat.Store.Model;

/// <summary>A user as Mattermost's API shows it. The password hash never leaves the store.</summary>
public sealed record User
{
    public required string Id { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public required string Username { get; init; }
    public string AuthData { get; init; } = "";
    public string AuthService { get; init; } = "";
    public string Email { get; init; } = "";
    public bool EmailVerified { get; init; }
    public string Nickname { get; init; } = "";
    public string FirstName { get; init; } = "";
    public string LastName { get; init; } = "";
    public string Position { get; init; } = "";
    public string Roles { get; init; } = Model.Roles.SystemUser;
    public string Locale { get; init; } = "en";
    public bool IsBot { get; init; }
    public long LastPasswordUpdate { get; init; }
    public Dictionary<string, string> NotifyProps { get; init; } = [];
    public Dictionary<string, string> Timezone { get; init; } = new()
    {
        ["automaticTimezone"] = "",
        ["manualTimezone"] = "",
        ["useAutomaticTimezone"] = "true",
    };

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSystemAdmin => Model.Roles.Contains(Roles, Model.Roles.SystemAdmin);
}
