using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.Jobs.Core;

/// <summary>
/// The WebSocket events of jobs, in the payload shape of services/realtime/DESIGN.md ({event, data, broadcast}) on
/// the websocket topic, as the api's WebSocketEvents records them; the jobs nodes record them too, so the shape
/// lives here for both.
/// </summary>
public static class ClientEvents
{
    public const string Topic = "websocket";

    /// <summary>
    /// A job's new state, to one system admin. There is no "admins" audience in Mattermost's broadcast, so a change
    /// records one event per admin, each addressed to that user.
    /// </summary>
    public static ClusterEvent JobUpdated(Job job, string adminUserId) =>
        Create("job_updated", new { Job = job }, new Audience { UserId = adminUserId });

    /// <summary>A post removed by data retention (delete_at set to the deletion time), to its channel.</summary>
    public static ClusterEvent PostDeleted(Post post) =>
        Create("post_deleted", new { Post = JsonSerializer.Serialize(post, ServiceDefaultsExtensions.JsonOptions) }, new Audience { ChannelId = post.ChannelId });

    private static ClusterEvent Create(string name, object data, Audience broadcast) =>
        ClusterEvent.Create(Topic, name, new Message(name, data, broadcast), ServiceDefaultsExtensions.JsonOptions);

    private sealed record Message(string Event, object Data, Audience Broadcast);

    private sealed record Audience
    {
        public Dictionary<string, bool>? OmitUsers { get; init; }
        public string UserId { get; init; } = "";
        public string ChannelId { get; init; } = "";
        public string TeamId { get; init; } = "";
        public string ConnectionId => "";
        public string OmitConnectionId => "";
    }
}
