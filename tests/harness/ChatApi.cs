using System.Text.Json.Nodes;

namespace Chat.Testing;

/// <summary>The set-up steps tests repeat, each expecting success.</summary>
public static class ChatApi
{
    /// <summary>A team; "I" (invite only) unless said otherwise. The creator becomes its admin.</summary>
    public static async Task<string> CreateTeamAsync(this ApiClient client, string type = "I", bool allowOpenInvite = false)
    {
        var team = (await client.PostAsync("/api/v4/teams", new { Name = Unique.TeamName(), DisplayName = "Test team", Type = type, AllowOpenInvite = allowOpenInvite })).Expect(201).Json;
        return (string)team["id"]!;
    }

    public static async Task AddToTeamAsync(this ApiClient client, string teamId, params ApiClient[] users)
    {
        foreach (var user in users)
        {
            (await client.PostAsync($"/api/v4/teams/{teamId}/members", new { TeamId = teamId, UserId = user.UserId })).Expect(201);
        }
    }

    public static async Task<string> CreateChannelAsync(this ApiClient client, string teamId, string type = "O")
    {
        var channel = (await client.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = Unique.ChannelName(), DisplayName = "Test channel", Type = type })).Expect(201).Json;
        return (string)channel["id"]!;
    }

    public static async Task AddToChannelAsync(this ApiClient client, string channelId, params ApiClient[] users)
    {
        foreach (var user in users)
        {
            (await client.PostAsync($"/api/v4/channels/{channelId}/members", new { UserId = user.UserId })).Expect(201);
        }
    }

    public static async Task<JsonNode> CreatePostAsync(this ApiClient client, string channelId, string message, string? rootId = null) =>
        (await client.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = message, RootId = rootId })).Expect(201).Json;

    public static string Id(this JsonNode? node) => (string?)node?["id"] ?? throw new InvalidOperationException($"No id in {node?.ToJsonString()}");

    public static List<string> Ids(this JsonNode node) => [.. node.AsArray().Select(Id)];

    /// <summary>A PostList's order as ids.</summary>
    public static List<string> Order(this JsonNode postList) => [.. postList["order"]!.AsArray().Select(n => (string)n!)];
}
