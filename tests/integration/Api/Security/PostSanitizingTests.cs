using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// Users cannot pose as a webhook, a bot or another name through reserved post props, and a deleted post is told
/// to `since` readers and in post_deleted only as a tombstone.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostSanitizingTests(ClusterFixture cluster)
{
    private static readonly string[] Reserved = ["from_webhook", "from_bot", "from_plugin", "override_username", "override_icon_url", "add_channel_member"];

    [Fact]
    public async Task Reserved_props_are_dropped_from_a_users_post_and_edit()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        var props = Reserved.ToDictionary(p => p, _ => (object)"true");
        props["card"] = "kept";
        var created = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "I am a bot", Props = props })).Expect(201).Json;
        AssertOnlyCard(created);
        AssertOnlyCard((await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/posts/{created.Id()}")).Expect(200).Json);
        var patched = (await alice.PutAsync($"/api/v4/posts/{created.Id()}/patch", new { Message = "edited", Props = props })).Expect(200).Json;
        AssertOnlyCard(patched);

        static void AssertOnlyCard(JsonNode post) =>
            Assert.Equal(["card"], post["props"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task A_deleted_post_reaches_since_readers_and_its_event_as_a_tombstone()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        var post = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "regrettable", Props = new { card = "secret card" } })).Expect(201).Json;
        var events = new RecordedEvents(cluster.DataSource);
        var position = await events.PositionAsync();
        (await alice.On(cluster.Api2.BaseUrl).DeleteAsync($"/api/v4/posts/{post.Id()}")).Expect(200);

        var since = (await alice.GetAsync($"/api/v4/channels/{channelId}/posts?since={(long)post["create_at"]! - 1}")).Expect(200).Json;
        var tombstone = since["posts"]![post.Id()]!;
        Assert.True((long)tombstone["delete_at"]! > 0);
        Assert.Equal(("", channelId, 0), ((string?)tombstone["message"], (string?)tombstone["channel_id"], tombstone["props"]!.AsObject().Count));
        (await alice.GetAsync($"/api/v4/posts/{post.Id()}")).Expect(404);

        var deleted = (await events.ReadAsync(position)).Single(e => e.Event == "post_deleted");
        var sent = deleted.Post;
        Assert.Equal((post.Id(), "", 0), (sent.Id(), (string?)sent["message"], sent["props"]!.AsObject().Count));
        Assert.DoesNotContain("regrettable", deleted.Data.ToJsonString(), StringComparison.Ordinal);
    }
}
