namespace Chat.Store.Model;

/// <summary>A role as Mattermost's API shows it (GET /roles/...): a name and the permissions it grants.</summary>
public sealed record Role
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    public required string Description { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public required IReadOnlyList<string> Permissions { get; init; }
    public bool SchemeManaged { get; init; }
    public bool BuiltIn { get; init; }
    public string? SchemeId { get; init; }
}
