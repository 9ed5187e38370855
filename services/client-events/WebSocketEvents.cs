using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.ClientEvents;

/// <summary>
/// Every WebSocket event the server sends, one entry each: its name (Mattermost's, where Mattermost has the event)
/// and the builder of its logged <see cref="WebSocketMessage"/> (data, audience, routing facts). Producers record
/// what a builder returns in the change's own transaction (the api through its outbox, the jobs nodes through the
/// event bus, realtime's typing straight into the log); realtime reads them back from <see cref="Topic"/>.
/// </summary>
public static class WebSocketEvents
{
    /// <summary>The event log's topic that realtime delivers to clients.</summary>
    public const string Topic = "websocket";

    /// <summary>
    /// A new post, to the channel. data.post is the post as a JSON string, as Mattermost's clients expect; the users
    /// it mentions are recorded for realtime, which adds data.mentions to their copies only.
    /// </summary>
    public static class Posted
    {
        public const string Name = "posted";

        public static ClusterEvent Create(Post post, Channel channel, Session sender, IReadOnlyCollection<string>? mentions = null) => Record(Name,
            new
            {
                Post = Json(post),
                ChannelType = channel.Type,
                ChannelName = channel.Name,
                // A direct channel is shown under the other party's name; to the recipient that is the sender.
                ChannelDisplayName = channel.Type == ChannelTypes.Direct ? AtName(sender.Username) : channel.DisplayName,
                SenderName = AtName(sender.Username),
                channel.TeamId,
                SetOnline = true,
            },
            new Broadcast { ChannelId = channel.Id },
            mentions: mentions is { Count: > 0 } ? [.. mentions.Order(StringComparer.Ordinal)] : null);
    }

    /// <summary>
    /// The channels a user has just read, with the time each counts as read up to ({channel id: ms}), to that user:
    /// sent by the view endpoint and for the author of a post.
    /// </summary>
    public static class MultipleChannelsViewed
    {
        public const string Name = "multiple_channels_viewed";

        public static ClusterEvent Create(string userId, IReadOnlyDictionary<string, long> channelTimes) =>
            Record(Name, new { ChannelTimes = channelTimes }, new Broadcast { UserId = userId });
    }

    /// <summary>The edited post as a JSON string, to the channel: a new message or props, or a pin or unpin.</summary>
    public static class PostEdited
    {
        public const string Name = "post_edited";

        public static ClusterEvent Create(Post post) => Record(Name, new { Post = Json(post) }, new Broadcast { ChannelId = post.ChannelId });
    }

    /// <summary>The deleted post (delete_at set) as a JSON string, to the channel; deleted by a user or by data retention.</summary>
    public static class PostDeleted
    {
        public const string Name = "post_deleted";

        /// <summary>The deleted post's tombstone only: members who could not read it before must not learn its content now.</summary>
        public static ClusterEvent Create(Post post) => Record(Name, new { Post = Json(post.Tombstone()) }, new Broadcast { ChannelId = post.ChannelId });
    }

    /// <summary>A reaction added to a post, to the post's channel; data.reaction is the reaction as a JSON string.</summary>
    public static class ReactionAdded
    {
        public const string Name = "reaction_added";

        public static ClusterEvent Create(Reaction reaction, string channelId) =>
            Record(Name, new { Reaction = Json(reaction) }, new Broadcast { ChannelId = channelId });
    }

    /// <summary>A reaction removed from a post, to the post's channel; data.reaction as in <see cref="ReactionAdded"/>.</summary>
    public static class ReactionRemoved
    {
        public const string Name = "reaction_removed";

        public static ClusterEvent Create(Reaction reaction, string channelId) =>
            Record(Name, new { Reaction = Json(reaction) }, new Broadcast { ChannelId = channelId });
    }

    /// <summary>To the creator, who joined the channel in the same transaction.</summary>
    public static class ChannelCreated
    {
        public const string Name = "channel_created";

        public static ClusterEvent Create(Channel channel, string creatorId) =>
            Record(Name, new { ChannelId = channel.Id, channel.TeamId }, new Broadcast { UserId = creatorId }, [JoinChannel(creatorId, channel)]);
    }

    /// <summary>The patched channel as a JSON string in data.channel, to the channel.</summary>
    public static class ChannelUpdated
    {
        public const string Name = "channel_updated";

        public static ClusterEvent Create(Channel channel) => Record(Name, new { Channel = Json(channel) }, new Broadcast { ChannelId = channel.Id });
    }

    /// <summary>
    /// An archived channel: a public one to its team (anyone may browse it), a private one to its members, as
    /// Mattermost sends it. Members stay members of an archived channel, so nothing changes in membership.
    /// </summary>
    public static class ChannelDeleted
    {
        public const string Name = "channel_deleted";

        public static ClusterEvent Create(Channel channel, long deleteAt) =>
            Record(Name, new { ChannelId = channel.Id, DeleteAt = deleteAt },
                channel.Type == ChannelTypes.Open ? new Broadcast { TeamId = channel.TeamId } : new Broadcast { ChannelId = channel.Id });
    }

    /// <summary>A direct channel created for its two members (one, for a user's channel with themselves), to the channel.</summary>
    public static class DirectAdded
    {
        public const string Name = "direct_added";

        public static ClusterEvent Create(Channel channel, string creatorId, string teammateId) =>
            Record(Name, new { CreatorId = creatorId, TeammateId = teammateId }, new Broadcast { ChannelId = channel.Id },
                [.. new[] { creatorId, teammateId }.Distinct().Select(u => JoinChannel(u, channel))]);
    }

    /// <summary>
    /// A group channel created for its members, to the channel. teammate_ids is a JSON string of every member's id,
    /// as Mattermost sends it.
    /// </summary>
    public static class GroupAdded
    {
        public const string Name = "group_added";

        public static ClusterEvent Create(Channel channel, IReadOnlyList<string> memberIds) =>
            Record(Name, new { TeammateIds = Json(memberIds) }, new Broadcast { ChannelId = channel.Id },
                [.. memberIds.Select(u => JoinChannel(u, channel))]);
    }

    /// <summary>To the channel, the new member included.</summary>
    public static class UserAdded
    {
        public const string Name = "user_added";

        public static ClusterEvent Create(Channel channel, string userId) =>
            Record(Name, new { UserId = userId, channel.TeamId }, new Broadcast { ChannelId = channel.Id }, [JoinChannel(userId, channel)]);
    }

    /// <summary>
    /// Two events, as Mattermost sends them: one to the channel's remaining members, and one to the removed user,
    /// who is no longer among them.
    /// </summary>
    public static class UserRemoved
    {
        public const string Name = "user_removed";

        public static IReadOnlyList<ClusterEvent> Create(Channel channel, string userId, string removerId) =>
        [
            Record(Name, new { UserId = userId, RemoverId = removerId }, new Broadcast { ChannelId = channel.Id },
                [new MembershipChange(MembershipChange.LeaveChannel, userId, channel.Id, channel.TeamId)]),
            Record(Name, new { ChannelId = channel.Id, RemoverId = removerId }, new Broadcast { UserId = userId }),
        ];
    }

    /// <summary>To the user who joined (or created) the team.</summary>
    public static class AddedToTeam
    {
        public const string Name = "added_to_team";

        public static ClusterEvent Create(string teamId, string userId) =>
            Record(Name, new { TeamId = teamId, UserId = userId }, new Broadcast { UserId = userId },
                [new MembershipChange(MembershipChange.JoinTeam, userId, "", teamId)]);
    }

    /// <summary>
    /// Two events, as Mattermost sends them: one to the rest of the team and one to the user. The first carries the
    /// membership changes: the team and each of its channels the user left with it.
    /// </summary>
    public static class LeaveTeam
    {
        public const string Name = "leave_team";

        public static IReadOnlyList<ClusterEvent> Create(string teamId, string userId, IReadOnlyList<string> channelsLeft) =>
        [
            Record(Name, new { UserId = userId, TeamId = teamId }, new Broadcast { TeamId = teamId, OmitUsers = new Dictionary<string, bool> { [userId] = true } },
                [.. channelsLeft.Select(c => new MembershipChange(MembershipChange.LeaveChannel, userId, c, teamId)), new MembershipChange(MembershipChange.LeaveTeam, userId, "", teamId)]),
            Record(Name, new { UserId = userId, TeamId = teamId }, new Broadcast { UserId = userId }),
        ];
    }

    /// <summary>To everyone.</summary>
    public static class NewUser
    {
        public const string Name = "new_user";

        public static ClusterEvent Create(string userId) => Record(Name, new { UserId = userId }, Broadcast.Everyone);
    }

    /// <summary>The user as others may see it, to everyone. Unlike a post, data.user is an object, as in Mattermost.</summary>
    public static class UserUpdated
    {
        public const string Name = "user_updated";

        public static ClusterEvent Create(User user) => Record(Name, new { User = user }, Broadcast.Everyone);
    }

    /// <summary>A custom emoji created, to everyone; data.emoji is the emoji as a JSON string, as in Mattermost.</summary>
    public static class EmojiAdded
    {
        public const string Name = "emoji_added";

        public static ClusterEvent Create(Emoji emoji) => Record(Name, new { Emoji = Json(emoji) }, Broadcast.Everyone);
    }

    /// <summary>Preferences saved, to their user. data.preferences is the list as a JSON string, as in Mattermost.</summary>
    public static class PreferencesChanged
    {
        public const string Name = "preferences_changed";

        public static ClusterEvent Create(string userId, IReadOnlyList<Preference> preferences) =>
            Record(Name, new { Preferences = Json(preferences) }, new Broadcast { UserId = userId });
    }

    /// <summary>Preferences deleted, to their user; data.preferences as in <see cref="PreferencesChanged"/>.</summary>
    public static class PreferencesDeleted
    {
        public const string Name = "preferences_deleted";

        public static ClusterEvent Create(string userId, IReadOnlyList<Preference> preferences) =>
            Record(Name, new { Preferences = Json(preferences) }, new Broadcast { UserId = userId });
    }

    /// <summary>
    /// A user's new status, to that user only, as Mattermost sends it: others learn statuses by asking
    /// (POST /users/status/ids), so a change is not fanned out to everybody.
    /// </summary>
    public static class StatusChange
    {
        public const string Name = "status_change";

        public static ClusterEvent Create(UserStatus status) =>
            Record(Name, new { status.Status, status.UserId }, new Broadcast { UserId = status.UserId });
    }

    /// <summary>
    /// A user typing in a channel (in a thread when <c>parentId</c> is set), to the channel's members but the typist.
    /// Ephemeral: a realtime node appends it to the log outside any transaction.
    /// </summary>
    public static class Typing
    {
        public const string Name = "typing";

        public static ClusterEvent Create(string channelId, string parentId, string userId) =>
            Record(Name, new { ParentId = parentId, UserId = userId },
                new Broadcast { ChannelId = channelId, OmitUsers = new Dictionary<string, bool> { [userId] = true } });
    }

    /// <summary>
    /// A job's new state, to one system admin: there is no "admins" audience in Mattermost's broadcast, so a change
    /// records one event per admin. <c>job</c> is a Chat.Jobs.Core.Job, serialised as it is; this library cannot
    /// name the type because jobs-core, whose job store records the event, builds on it.
    /// </summary>
    public static class JobUpdated
    {
        public const string Name = "job_updated";

        public static ClusterEvent Create(object job, string adminUserId) => Record(Name, new { Job = job }, new Broadcast { UserId = adminUserId });
    }

    /// <summary>
    /// Internal (Mattermost has no such WebSocket event; its nodes drop sessions from caches): closes the sockets of
    /// the revoked session. Addressed to its user, the narrowest audience, should a realtime node forward it.
    /// </summary>
    public static class SessionRevoked
    {
        public const string Name = "session_revoked";

        public static ClusterEvent Create(Session session) => Create(session.Id, session.UserId);

        public static ClusterEvent Create(string sessionId, string userId) =>
            Record(Name, new { UserId = userId }, new Broadcast { UserId = userId }, session: new RevokedSession(sessionId));
    }

    /// <summary>
    /// A plugin's event (Mattermost's PublishWebSocketEvent): named <c>custom_{plugin id}_{event}</c>, to the first of
    /// user, channel and team that is set, else everyone.
    /// </summary>
    public static class Custom
    {
        public static string Name(string pluginId, string eventName) => $"custom_{pluginId}_{eventName}";

        public static ClusterEvent Create(string pluginId, string eventName, object data, string userId, string channelId, string teamId, IReadOnlyDictionary<string, bool>? omitUsers) =>
            Record(Name(pluginId, eventName), data, new Broadcast { UserId = userId, ChannelId = channelId, TeamId = teamId, OmitUsers = omitUsers });
    }

    /// <summary>
    /// A thread changed (a reply), to one of its followers: data.thread is the thread as that user sees it, as a JSON
    /// string, with their unread counts before the change. The thread's team rides in broadcast.team_id, where the
    /// web app reads it ("" for direct and group channels).
    /// </summary>
    public static class ThreadUpdated
    {
        public const string Name = "thread_updated";

        public static ClusterEvent Create(UserThread thread, string teamId, string userId, long previousUnreadReplies, long previousUnreadMentions) =>
            Record(Name, new { Thread = Json(thread), PreviousUnreadReplies = previousUnreadReplies, PreviousUnreadMentions = previousUnreadMentions },
                new Broadcast { UserId = userId, TeamId = teamId });
    }

    /// <summary>
    /// The user's read point in a thread moved, to that user (with the counts before and after); without a thread,
    /// every thread of the team was marked read at <c>timestamp</c>.
    /// </summary>
    public static class ThreadReadChanged
    {
        public const string Name = "thread_read_changed";

        public static ClusterEvent Create(ThreadMemberState before, ThreadMemberState after, string teamId) =>
            Record(Name, new
            {
                ThreadId = after.PostId,
                Timestamp = after.LastViewed,
                after.UnreadMentions,
                after.UnreadReplies,
                PreviousUnreadMentions = before.UnreadMentions,
                PreviousUnreadReplies = before.UnreadReplies,
                after.ChannelId,
            }, new Broadcast { UserId = after.UserId, TeamId = teamId });

        public static ClusterEvent AllRead(string userId, string teamId, long timestamp) =>
            Record(Name, new { Timestamp = timestamp }, new Broadcast { UserId = userId, TeamId = teamId });
    }

    /// <summary>The user followed (state true) or stopped following a thread, to that user.</summary>
    public static class ThreadFollowChanged
    {
        public const string Name = "thread_follow_changed";

        public static ClusterEvent Create(ThreadMemberState state, string teamId) =>
            Record(Name, new { ThreadId = state.PostId, State = state.Following, state.ReplyCount }, new Broadcast { UserId = state.UserId, TeamId = teamId });
    }

    /// <summary>The first message of a new connection (seq 0), written by the realtime node itself and never logged.</summary>
    public static class Hello
    {
        public const string Name = "hello";
    }

    private static MembershipChange JoinChannel(string userId, Channel channel) => new(MembershipChange.JoinChannel, userId, channel.Id, channel.TeamId);

    private static string AtName(string username) => "@" + username;

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, ServiceDefaultsExtensions.JsonOptions);

    private static ClusterEvent Record(string name, object data, Broadcast broadcast, IReadOnlyList<MembershipChange>? membership = null, RevokedSession? session = null, IReadOnlyList<string>? mentions = null) =>
        ClusterEvent.Create(Topic, name, new WebSocketMessage(name, data, broadcast) { Membership = membership, Session = session, Mentions = mentions }, ServiceDefaultsExtensions.JsonOptions);
}
