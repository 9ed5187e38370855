namespace Chat.Store.Model;

/// <summary>A login. Only the SHA-256 of the token is stored, so a database dump grants no access.</summary>
public sealed record Session
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public long CreateAt { get; init; }
    public long ExpiresAt { get; init; }
    public long LastActivityAt { get; init; }
    public string DeviceId { get; init; } = "";
    public required string Roles { get; init; }
    /// <summary>The user's username, which events name the user by (a post's sender_name).</summary>
    public string Username { get; init; } = "";
    public required string CsrfToken { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSystemAdmin => Model.Roles.Contains(Roles, Model.Roles.SystemAdmin);
}
