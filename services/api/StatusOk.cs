namespace Chat.Api;

/// <summary>Mattermost's {"status":"OK"} acknowledgement.</summary>
public sealed record StatusOk(string Status)
{
    public static StatusOk Instance { get; } = new("OK");
}
