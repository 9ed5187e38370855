using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Realtime.Delivery;

namespace Chat.UnitTests;

/// <summary>The realtime node's reading of a log event: membership changes, Mattermost's broadcast rules, the client message.</summary>
public sealed class RealtimeAudienceTests
{
    private static readonly Membership Alice = Membership.Of([new("town", "team1"), new("dm", "")], ["team1"]);

    [Fact]
    public void Membership_changes_are_set_operations_and_leaving_a_team_leaves_its_channels()
    {
        var joined = Alice.Apply(new MembershipChange("join_channel", "alice", "news", "team2")).Apply(new MembershipChange("join_team", "alice", "", "team2"));
        Assert.Equal(["dm", "news", "town"], joined.Channels.Keys.Order());
        Assert.Same(joined, joined.Apply(new MembershipChange("join_channel", "alice", "news", "team2")));
        Assert.Same(joined, joined.Apply(new MembershipChange("leave_channel", "alice", "elsewhere", "team2")));

        var left = joined.Apply(new MembershipChange("leave_team", "alice", "", "team1"));
        Assert.Equal(["dm", "news"], left.Channels.Keys.Order());
        Assert.Equal(["team2"], left.Teams);
        Assert.Equal(["dm", "news"], left.Apply(new MembershipChange("no_such_op", "alice", "news", "team2")).Channels.Keys.Order());

        var restored = Membership.FromJson(left.ToJson());
        Assert.Equal(left.Channels.OrderBy(c => c.Key), restored.Channels.OrderBy(c => c.Key));
        Assert.Equal(left.Teams, restored.Teams);
    }

    [Theory]
    [InlineData("""{"channel_id": "town"}""", true)]
    [InlineData("""{"channel_id": "news"}""", false)]
    [InlineData("""{"team_id": "team1"}""", true)]
    [InlineData("""{"team_id": "team2"}""", false)]
    [InlineData("""{"user_id": "alice", "channel_id": "news"}""", true)]
    [InlineData("""{"user_id": "bob", "channel_id": "town"}""", false)]
    [InlineData("""{"connection_id": "c1", "user_id": "bob"}""", true)]
    [InlineData("""{"connection_id": "c2"}""", false)]
    [InlineData("""{}""", true)]
    [InlineData("""{"channel_id": "town", "omit_users": {"alice": true}}""", false)]
    [InlineData("""{"channel_id": "town", "omit_users": {"alice": false}}""", true)]
    [InlineData("""{"channel_id": "town", "omit_users": ["alice"]}""", false)]
    [InlineData("""{"omit_connection_id": "c1"}""", false)]
    [InlineData("""{"omit_connection_id": "c2"}""", true)]
    public void Broadcast_rules_pick_the_audience(string broadcast, bool forAlicesConnection)
    {
        var e = Parse($$"""{"event": "posted", "data": {}, "broadcast": {{broadcast}}}""");
        Assert.Equal(forAlicesConnection, e.IsFor("c1", "alice", Alice));
    }

    [Fact]
    public void The_client_message_is_the_event_without_routing_facts_and_with_its_seq_last()
    {
        var e = Parse("""
            {"event": "user_removed", "data": {"channel_id": "town", "text": "naïve <b>"},
             "broadcast": {"user_id": "alice", "omit_users": {"bob": true}},
             "membership": [{"op": "leave_channel", "user_id": "alice", "channel_id": "town", "team_id": "team1"},
                            {"op": "leave_channel", "user_id": "", "channel_id": "town"}, {"op": "fly"}, 7],
             "session": {"revoked_session_id": "s1"}}
            """);
        Assert.Equal("user_removed", e.Name);
        Assert.Equal([new MembershipChange("leave_channel", "alice", "town", "team1")], e.Membership);
        Assert.Equal("s1", e.RevokedSessionId);
        Assert.False(e.IsTyping);

        var buffer = new byte[e.MaxLengthFor("alice")];
        var message = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, e.Format(42, "alice", buffer)))!.AsObject();
        Assert.Equal(["event", "data", "broadcast", "seq"], message.Select(p => p.Key));
        Assert.Equal(42, (long)message["seq"]!);
        Assert.Equal("naïve <b>", (string?)message["data"]!["text"]);
        Assert.Equal(true, (bool?)message["broadcast"]!["omit_users"]!["bob"]);
        Assert.Equal(["omit_users", "user_id", "channel_id", "team_id", "connection_id", "omit_connection_id"], message["broadcast"]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    [InlineData("""{"event": ""}""")]
    public void A_payload_that_is_not_a_websocket_message_is_ignored(string payload)
    {
        var logged = new LoggedEvent(new EventCursor(1, 1), new ClusterEvent("id", "websocket", "posted", JsonSerializer.Deserialize<JsonElement>(payload)));
        Assert.Null(WebSocketEvent.Parse(logged));
    }

    [Fact]
    public void Without_an_event_name_in_the_payload_the_event_type_names_it()
    {
        Assert.Equal("fallback", Parse("""{"data": {"a": 1}}""").Name);
    }

    private static WebSocketEvent Parse(string payload) =>
        WebSocketEvent.Parse(new LoggedEvent(new EventCursor(1, 1), new ClusterEvent("id", "websocket", "fallback", JsonSerializer.Deserialize<JsonElement>(payload))))
        ?? throw new InvalidOperationException("not parsed");
}
