using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.BuildingBlocks.PubSub;
using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.Api.Events;

/// <summary>
/// Every WebSocket event the api records, in the payload shape of services/realtime/DESIGN.md: the message a
/// Mattermost client receives ({event, data, broadcast}, with Mattermost's event names, data fields and audiences)
/// plus the routing facts a realtime node strips before sending it: <c>membership</c>, the membership changes of the
/// event's transaction (applied before the audience is chosen), and <c>session</c>, a session whose sockets to close.
/// Recorded on <see cref="Topic"/> through the <see cref="Outbox"/>, in the change's own transaction.
/// </summary>
public static class WebSocketEvents
{
    public const string Topic = "websocket";

    /// <summary>A new post, to the channel. data.post is the post as a JSON string, as Mattermost's clients expect.</summary>
    public static ClusterEvent Posted(Post post, Channel channel, Session sender) => Create("posted",
        new
        {
            Post = PostJson(post),
            ChannelType = channel.Type,
            ChannelName = channel.Name,
            // A direct channel is shown under the other party's name; to the recipient that is the sender.
            ChannelDisplayName = channel.Type == ChannelTypes.Direct ? AtName(sender.Username) : channel.DisplayName,
            SenderName = AtName(sender.Username),
            channel.TeamId,
            SetOnline = true,
        },
        new Audience { ChannelId = channel.Id });

    public static ClusterEvent PostEdited(Post post) =>
        Create("post_edited", new { Post = PostJson(post) }, new Audience { ChannelId = post.ChannelId });

    /// <summary>The deleted post (delete_at set), to the channel.</summary>
    public static ClusterEvent PostDeleted(Post post) =>
        Create("post_deleted", new { Post = PostJson(post) }, new Audience { ChannelId = post.ChannelId });

    /// <summary>To the creator, who joined the channel in the same transaction.</summary>
    public static ClusterEvent ChannelCreated(Channel channel, string creatorId) =>
        Create("channel_created", new { ChannelId = channel.Id, channel.TeamId }, new Audience { UserId = creatorId },
            [JoinChannel(creatorId, channel)]);

    /// <summary>A direct channel created for its two members (one, for a user's channel with themselves), to the channel.</summary>
    public static ClusterEvent DirectAdded(Channel channel, string creatorId, string teammateId) =>
        Create("direct_added", new { CreatorId = creatorId, TeammateId = teammateId }, new Audience { ChannelId = channel.Id },
            [.. new[] { creatorId, teammateId }.Distinct().Select(u => JoinChannel(u, channel))]);

    /// <summary>To the channel, the new member included.</summary>
    public static ClusterEvent UserAdded(Channel channel, string userId) =>
        Create("user_added", new { UserId = userId, channel.TeamId }, new Audience { ChannelId = channel.Id },
            [JoinChannel(userId, channel)]);

    /// <summary>
    /// Two events, as Mattermost sends them: one to the channel's remaining members, and one to the removed user,
    /// who is no longer among them.
    /// </summary>
    public static IReadOnlyList<ClusterEvent> UserRemoved(Channel channel, string userId, string removerId) =>
    [
        Create("user_removed", new { UserId = userId, RemoverId = removerId }, new Audience { ChannelId = channel.Id },
            [new MembershipChange("leave_channel", userId, channel.Id, channel.TeamId)]),
        Create("user_removed", new { ChannelId = channel.Id, RemoverId = removerId }, new Audience { UserId = userId }),
    ];

    /// <summary>To the user who joined (or created) the team.</summary>
    public static ClusterEvent AddedToTeam(string teamId, string userId) =>
        Create("added_to_team", new { TeamId = teamId, UserId = userId }, new Audience { UserId = userId },
            [new MembershipChange("join_team", userId, "", teamId)]);

    /// <summary>
    /// Two events, as Mattermost sends them: one to the rest of the team and one to the user. The first carries the
    /// membership changes: the team and each of its channels the user left with it.
    /// </summary>
    public static IReadOnlyList<ClusterEvent> LeaveTeam(string teamId, string userId, IReadOnlyList<string> channelsLeft) =>
    [
        Create("leave_team", new { UserId = userId, TeamId = teamId }, new Audience { TeamId = teamId, OmitUsers = new() { [userId] = true } },
            [.. channelsLeft.Select(c => new MembershipChange("leave_channel", userId, c, teamId)), new MembershipChange("leave_team", userId, "", teamId)]),
        Create("leave_team", new { UserId = userId, TeamId = teamId }, new Audience { UserId = userId }),
    ];

    /// <summary>The user as others may see it, to everyone. Unlike a post, data.user is an object, as in Mattermost.</summary>
    public static ClusterEvent UserUpdated(User user) => Create("user_updated", new { User = user }, new Audience());

    /// <summary>The patched channel as a JSON string in data.channel, to the channel.</summary>
    public static ClusterEvent ChannelUpdated(Channel channel) =>
        Create("channel_updated", new { Channel = JsonSerializer.Serialize(channel, ServiceDefaultsExtensions.JsonOptions) }, new Audience { ChannelId = channel.Id });

    /// <summary>To everyone.</summary>
    public static ClusterEvent NewUser(string userId) => Create("new_user", new { UserId = userId }, new Audience());

    /// <summary>
    /// Internal (Mattermost has no such WebSocket event; its nodes drop sessions from caches): closes the sockets of
    /// the revoked session. Addressed to its user, the narrowest audience, should a realtime node forward it.
    /// </summary>
    public static ClusterEvent SessionRevoked(Session session) =>
        Create("session_revoked", new { session.UserId }, new Audience { UserId = session.UserId }, revokedSessionId: session.Id);

    /// <summary>
    /// A plugin's event (Mattermost's PublishWebSocketEvent): named <c>custom_{plugin id}_{event}</c>, to the first of
    /// user, channel and team that is set, else everyone.
    /// </summary>
    public static ClusterEvent Custom(string name, object data, string userId, string channelId, string teamId, Dictionary<string, bool>? omitUsers) =>
        Create(name, data, new Audience { UserId = userId, ChannelId = channelId, TeamId = teamId, OmitUsers = omitUsers });

    private static MembershipChange JoinChannel(string userId, Channel channel) => new("join_channel", userId, channel.Id, channel.TeamId);

    private static string AtName(string username) => "@" + username;

    private static string PostJson(Post post) => JsonSerializer.Serialize(post, ServiceDefaultsExtensions.JsonOptions);

    private static ClusterEvent Create(string name, object data, Audience broadcast, IReadOnlyList<MembershipChange>? membership = null, string? revokedSessionId = null) =>
        ClusterEvent.Create(Topic, name, new Message(name, data, broadcast)
        {
            Membership = membership,
            Session = revokedSessionId is null ? null : new RevokedSession(revokedSessionId),
        }, ServiceDefaultsExtensions.JsonOptions);

    private sealed record Message(string Event, object Data, Audience Broadcast)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public IReadOnlyList<MembershipChange>? Membership { get; init; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public RevokedSession? Session { get; init; }
    }

    /// <summary>Mattermost's broadcast: the first of connection, user, channel and team that is set picks the audience; none is everyone.</summary>
    private sealed record Audience
    {
        public Dictionary<string, bool>? OmitUsers { get; init; }
        public string UserId { get; init; } = "";
        public string ChannelId { get; init; } = "";
        public string TeamId { get; init; } = "";
        // The api never addresses or spares a single connection.
        public string ConnectionId => "";
        public string OmitConnectionId => "";
    }

    /// <summary>One membership change: op is join_channel, leave_channel, join_team or leave_team; ids that do not apply are empty.</summary>
    private sealed record MembershipChange(string Op, string UserId, string ChannelId, string TeamId);

    private sealed record RevokedSession(string RevokedSessionId);
}
