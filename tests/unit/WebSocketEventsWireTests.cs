using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Jobs.Core;
using Chat.Realtime.Delivery;
using Chat.Store.Model;

namespace Chat.UnitTests;

/// <summary>
/// The WebSocket events as their producers record them in cluster_events, which realtime nodes relay to clients.
/// Mattermost's clients read these names and fields (data.post is a JSON string, data.job an object), and events
/// already logged are read by nodes of the next version, so the expected JSON here changes only on purpose.
/// </summary>
public sealed class WebSocketEventsWireTests
{
    private static readonly Post Post = new() { Id = "post1", ChannelId = "chan1", UserId = "user1", Message = "hi", CreateAt = 5, UpdateAt = 6 };

    private const string PostJson = """
        {"id":"post1","create_at":5,"update_at":6,"edit_at":0,"delete_at":0,"is_pinned":false,"user_id":"user1","channel_id":"chan1","root_id":"","original_id":"","message":"hi","type":"","props":{},"hashtags":"","pending_post_id":"","reply_count":0,"has_reactions":false,"participants":null,"metadata":{}}
        """;

    private static readonly Channel Town = new() { Id = "chan1", TeamId = "team1", Type = ChannelTypes.Open, Name = "town", DisplayName = "Town" };

    private static readonly Session Alice = new() { Id = "sess1", UserId = "user1", Roles = Roles.SystemUser, Username = "alice", CsrfToken = "csrf" };

    [Fact]
    public void Posted_carries_the_post_as_a_JSON_string_and_the_channel_facts_to_the_channel()
    {
        AssertWire("posted", """
            {"event":"posted","data":{"post":<post>,"channel_type":"O","channel_name":"town","channel_display_name":"Town","sender_name":"@alice","team_id":"team1","set_online":true},"broadcast":{"omit_users":null,"user_id":"","channel_id":"chan1","team_id":"","connection_id":"","omit_connection_id":""}}
            """.Replace("<post>", Quoted(PostJson)), WebSocketEvents.Posted.Create(Post, Town, Alice));
    }

    [Fact]
    public void Posted_records_the_mentioned_users_as_a_routing_fact()
    {
        AssertWire("posted", """
            {"event":"posted","data":{"post":<post>,"channel_type":"O","channel_name":"town","channel_display_name":"Town","sender_name":"@alice","team_id":"team1","set_online":true},"broadcast":{"omit_users":null,"user_id":"","channel_id":"chan1","team_id":"","connection_id":"","omit_connection_id":""},"mentions":["user2","user3"]}
            """.Replace("<post>", Quoted(PostJson)), WebSocketEvents.Posted.Create(Post, Town, Alice, ["user3", "user2"]));
    }

    [Fact]
    public void Realtime_gives_each_mentioned_user_data_mentions_with_their_own_id_only()
    {
        var posted = Parse(WebSocketEvents.Posted.Create(Post, Town, Alice, ["user2", "user3"]));
        var inTown = Membership.Of([new("chan1", "team1")], ["team1"]);
        foreach (var user in new[] { "user1", "user2", "user3", "user4" })
        {
            Assert.True(posted.IsFor("c-" + user, user, inTown));
        }

        var bob = Sent(posted, "user2", 7);
        Assert.Equal(["event", "data", "broadcast", "seq"], bob.Select(p => p.Key));
        Assert.Equal("[\"user2\"]", (string?)bob["data"]!["mentions"]);
        Assert.Equal(["post", "channel_type", "channel_name", "channel_display_name", "sender_name", "team_id", "set_online", "mentions"], bob["data"]!.AsObject().Select(p => p.Key));
        Assert.Equal(7, (long)bob["seq"]!);
        Assert.Equal("[\"user3\"]", (string?)Sent(posted, "user3", 8)["data"]!["mentions"]);
        foreach (var user in new[] { "user1", "user4" })
        {
            var other = Sent(posted, user, 9);
            Assert.False(other["data"]!.AsObject().ContainsKey("mentions"));
            Assert.Equal(PostJson, (string?)other["data"]!["post"]);
        }

        var unmentioned = Parse(WebSocketEvents.Posted.Create(Post, Town, Alice, []));
        Assert.Empty(unmentioned.Mentions);
        Assert.False(Sent(unmentioned, "user2", 1)["data"]!.AsObject().ContainsKey("mentions"));
    }

    [Fact]
    public void Multiple_channels_viewed_carries_the_channel_times_to_the_user()
    {
        AssertWire("multiple_channels_viewed", """
            {"event":"multiple_channels_viewed","data":{"channel_times":{"chan1":5}},"broadcast":{"omit_users":null,"user_id":"user1","channel_id":"","team_id":"","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.MultipleChannelsViewed.Create("user1", new Dictionary<string, long> { ["chan1"] = 5 }));
    }

    [Fact]
    public void Post_deleted_carries_the_posts_tombstone_as_a_JSON_string_to_the_channel()
    {
        const string tombstone = """
            {"id":"post1","create_at":5,"update_at":7,"edit_at":0,"delete_at":7,"is_pinned":false,"user_id":"user1","channel_id":"chan1","root_id":"root1","original_id":"","message":"","type":"","props":{},"hashtags":"","pending_post_id":"","reply_count":0,"has_reactions":false,"participants":null,"metadata":{}}
            """;
        var deleted = Post with { RootId = "root1", DeleteAt = 7, UpdateAt = 7, IsPinned = true, Hashtags = "#x", Props = new() { ["secret"] = System.Text.Json.JsonDocument.Parse("1").RootElement } };
        AssertWire("post_deleted", """
            {"event":"post_deleted","data":{"post":<post>},"broadcast":{"omit_users":null,"user_id":"","channel_id":"chan1","team_id":"","connection_id":"","omit_connection_id":""}}
            """.Replace("<post>", Quoted(tombstone)), WebSocketEvents.PostDeleted.Create(deleted));
    }

    [Fact]
    public void Reaction_added_and_removed_carry_the_reaction_as_a_JSON_string_to_the_posts_channel()
    {
        var reaction = new Reaction { UserId = "user1", PostId = "post1", EmojiName = "smile", CreateAt = 5, UpdateAt = 6, ChannelId = "chan1" };
        const string ReactionJson = """
            {"user_id":"user1","post_id":"post1","emoji_name":"smile","create_at":5,"update_at":6,"delete_at":0,"remote_id":"","channel_id":"chan1"}
            """;
        foreach (var (name, e) in new[] { ("reaction_added", WebSocketEvents.ReactionAdded.Create(reaction, "chan1")), ("reaction_removed", WebSocketEvents.ReactionRemoved.Create(reaction, "chan1")) })
        {
            AssertWire(name, """
                {"event":"<name>","data":{"reaction":<reaction>},"broadcast":{"omit_users":null,"user_id":"","channel_id":"chan1","team_id":"","connection_id":"","omit_connection_id":""}}
                """.Replace("<name>", name).Replace("<reaction>", Quoted(ReactionJson)), e);
        }
    }

    [Fact]
    public void User_removed_is_one_event_to_the_channel_with_the_membership_change_and_one_to_the_removed_user()
    {
        var events = WebSocketEvents.UserRemoved.Create(Town, "user2", "user1");
        Assert.Equal(2, events.Count);
        AssertWire("user_removed", """
            {"event":"user_removed","data":{"user_id":"user2","remover_id":"user1"},"broadcast":{"omit_users":null,"user_id":"","channel_id":"chan1","team_id":"","connection_id":"","omit_connection_id":""},"membership":[{"op":"leave_channel","user_id":"user2","channel_id":"chan1","team_id":"team1"}]}
            """, events[0]);
        AssertWire("user_removed", """
            {"event":"user_removed","data":{"channel_id":"chan1","remover_id":"user1"},"broadcast":{"omit_users":null,"user_id":"user2","channel_id":"","team_id":"","connection_id":"","omit_connection_id":""}}
            """, events[1]);
    }

    [Fact]
    public void Group_added_carries_the_member_ids_as_a_JSON_string_to_the_channel_they_all_join()
    {
        var group = new Channel { Id = "chan2", Type = ChannelTypes.Group, Name = "hash" };
        AssertWire("group_added", """
            {"event":"group_added","data":{"teammate_ids":<ids>},"broadcast":{"omit_users":null,"user_id":"","channel_id":"chan2","team_id":"","connection_id":"","omit_connection_id":""},"membership":[{"op":"join_channel","user_id":"user1","channel_id":"chan2","team_id":""},{"op":"join_channel","user_id":"user2","channel_id":"chan2","team_id":""},{"op":"join_channel","user_id":"user3","channel_id":"chan2","team_id":""}]}
            """.Replace("<ids>", Quoted("""["user1","user2","user3"]""")), WebSocketEvents.GroupAdded.Create(group, ["user1", "user2", "user3"]));
    }

    [Fact]
    public void Channel_deleted_goes_to_the_team_for_a_public_channel_and_to_the_members_for_a_private_one()
    {
        AssertWire("channel_deleted", """
            {"event":"channel_deleted","data":{"channel_id":"chan1","delete_at":9},"broadcast":{"omit_users":null,"user_id":"","channel_id":"","team_id":"team1","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.ChannelDeleted.Create(Town, 9));
        AssertWire("channel_deleted", """
            {"event":"channel_deleted","data":{"channel_id":"chan1","delete_at":9},"broadcast":{"omit_users":null,"user_id":"","channel_id":"chan1","team_id":"","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.ChannelDeleted.Create(Town with { Type = ChannelTypes.Private }, 9));
    }

    [Fact]
    public void Job_updated_carries_the_job_as_an_object_to_one_admin()
    {
        var job = new Job { Id = "job1", Type = JobTypes.DataRetention, Status = JobStatus.Pending, CreateAt = 7, Data = new() { ["k"] = "v" } };
        AssertWire("job_updated", """
            {"event":"job_updated","data":{"job":{"id":"job1","type":"data_retention","priority":0,"create_at":7,"start_at":0,"last_activity_at":0,"status":"pending","progress":0,"data":{"k":"v"}}},"broadcast":{"omit_users":null,"user_id":"admin1","channel_id":"","team_id":"","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.JobUpdated.Create(job, "admin1"));
    }

    [Fact]
    public void Status_change_carries_the_status_and_user_to_that_user_only()
    {
        var status = new UserStatus { UserId = "user1", Status = UserStatus.Dnd, Manual = true, LastActivityAt = 5, DndEndTime = 60, PrevStatus = UserStatus.Online };
        AssertWire("status_change", """
            {"event":"status_change","data":{"status":"dnd","user_id":"user1"},"broadcast":{"omit_users":null,"user_id":"user1","channel_id":"","team_id":"","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.StatusChange.Create(status));
    }

    [Fact]
    public void Realtime_reads_the_audience_and_routing_facts_the_producers_record()
    {
        var inTown = Membership.Of([new("chan1", "team1")], ["team1"]);

        var removed = WebSocketEvents.UserRemoved.Create(Town, "user2", "user1").Select(Parse).ToList();
        Assert.Equal([new MembershipChange(MembershipChange.LeaveChannel, "user2", "chan1", "team1")], removed[0].Membership);
        Assert.True(removed[0].IsFor("c1", "user3", inTown));
        Assert.False(removed[0].IsFor("c1", "user3", Membership.Empty));
        Assert.True(removed[1].IsFor("c2", "user2", Membership.Empty));
        Assert.False(removed[1].IsFor("c1", "user3", inTown));

        var left = Parse(WebSocketEvents.LeaveTeam.Create("team1", "user2", ["chan1"])[0]);
        Assert.Equal(
            [new MembershipChange(MembershipChange.LeaveChannel, "user2", "chan1", "team1"), new MembershipChange(MembershipChange.LeaveTeam, "user2", "", "team1")],
            left.Membership);
        Assert.True(left.IsFor("c1", "user3", inTown));
        Assert.False(left.IsFor("c2", "user2", inTown));

        Assert.Equal("sess1", Parse(WebSocketEvents.SessionRevoked.Create(Alice)).RevokedSessionId);

        var typing = Parse(WebSocketEvents.Typing.Create("chan1", "", "user1"));
        Assert.True(typing.IsTyping);
        Assert.False(typing.IsFor("c1", "user1", inTown));
        Assert.True(typing.IsFor("c2", "user3", inTown));
    }

    [Fact]
    public void Thread_events_go_to_their_user_with_the_threads_team_in_the_broadcast()
    {
        var state = new ThreadMemberState { PostId = "post1", ChannelId = "chan1", TeamId = "team1", ReplyCount = 3, LastReplyAt = 9, UserId = "user2", Following = false, LastViewed = 7, UnreadReplies = 1, UnreadMentions = 2 };
        AssertWire("thread_follow_changed", """
            {"event":"thread_follow_changed","data":{"thread_id":"post1","state":false,"reply_count":3},"broadcast":{"omit_users":null,"user_id":"user2","channel_id":"","team_id":"team1","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.ThreadFollowChanged.Create(state, "team1"));
        AssertWire("thread_read_changed", """
            {"event":"thread_read_changed","data":{"thread_id":"post1","timestamp":7,"unread_mentions":2,"unread_replies":1,"previous_unread_mentions":0,"previous_unread_replies":3,"channel_id":"chan1"},"broadcast":{"omit_users":null,"user_id":"user2","channel_id":"","team_id":"team1","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.ThreadReadChanged.Create(state with { UnreadReplies = 3, UnreadMentions = 0 }, state, "team1"));
        AssertWire("thread_read_changed", """
            {"event":"thread_read_changed","data":{"timestamp":11},"broadcast":{"omit_users":null,"user_id":"user2","channel_id":"","team_id":"team1","connection_id":"","omit_connection_id":""}}
            """, WebSocketEvents.ThreadReadChanged.AllRead("user2", "team1", 11));
        var updated = WebSocketEvents.ThreadUpdated.Create(new UserThread { Id = "post1", Post = Post, ReplyCount = 3 }, "", "user2", 1, 0);
        Assert.Equal("user2", updated.Data.GetProperty("broadcast").GetProperty("user_id").GetString());
        var thread = JsonDocument.Parse(updated.Data.GetProperty("data").GetProperty("thread").GetString()!).RootElement;
        Assert.Equal(3, thread.GetProperty("reply_count").GetInt64());
        Assert.Equal("post1", thread.GetProperty("post").GetProperty("id").GetString());
        Assert.Equal(1, updated.Data.GetProperty("data").GetProperty("previous_unread_replies").GetInt64());
    }

    private static void AssertWire(string name, string expectedData, ClusterEvent e)
    {
        Assert.Equal(WebSocketEvents.Topic, e.Topic);
        Assert.Equal(name, e.Type);
        Assert.Equal(expectedData, e.Data.GetRawText());
    }

    /// <summary>A JSON document as a JSON string value, for the expected data where <c>&lt;post&gt;</c> stands.</summary>
    private static string Quoted(string json) => JsonSerializer.Serialize(json);

    /// <summary>The message a connection of <paramref name="userId"/> gets, as JSON.</summary>
    private static System.Text.Json.Nodes.JsonObject Sent(WebSocketEvent e, string userId, long seq)
    {
        var buffer = new byte[e.MaxLengthFor(userId)];
        var length = e.Format(seq, userId, buffer);
        return System.Text.Json.Nodes.JsonNode.Parse(buffer.AsSpan(0, length))!.AsObject();
    }

    private static WebSocketEvent Parse(ClusterEvent e) =>
        WebSocketEvent.Parse(new LoggedEvent(new EventCursor(1, 1), e)) ?? throw new InvalidOperationException("not parsed");
}
