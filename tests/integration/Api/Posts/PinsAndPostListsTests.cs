using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// Pins, saved (flagged) posts, posts by id, edit history, deleted posts for admins and post metadata, with writes
/// and reads spread over both api nodes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PinsAndPostListsTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Any_member_pins_and_unpins_and_the_channel_lists_its_pinned_posts_oldest_first()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var first = (await alice.CreatePostAsync(channelId, "first")).Id();
        var second = (await alice.CreatePostAsync(channelId, "second")).Id();
        var third = (await bob.CreatePostAsync(channelId, "third")).Id();

        // Bob pins Alice's posts: reading the channel is enough, as in Mattermost.
        Assert.Equal("OK", (string?)(await bob.PostAsync($"/api/v4/posts/{second}/pin", null)).Expect(200).Json["status"]);
        (await bob.On(cluster.Api1.BaseUrl).PostAsync($"/api/v4/posts/{first}/pin", null)).Expect(200);
        (await alice.PostAsync($"/api/v4/posts/{third}/pin", null)).Expect(200);
        var pinned = (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/channels/{channelId}/pinned")).Expect(200).Json;
        Assert.Equal([first, second, third], pinned.Order());
        Assert.True((bool)pinned["posts"]![first]!["is_pinned"]!);
        // Pinning is no edit of the message.
        Assert.Equal(0L, (long)pinned["posts"]![first]!["edit_at"]!);

        (await alice.PostAsync($"/api/v4/posts/{second}/unpin", null)).Expect(200);
        Assert.Equal([first, third], (await bob.GetAsync($"/api/v4/channels/{channelId}/pinned")).Expect(200).Json.Order());
        Assert.False((bool)(await bob.GetAsync($"/api/v4/posts/{second}")).Expect(200).Json["is_pinned"]!);
        var stats = (await bob.GetAsync($"/api/v4/channels/{channelId}/stats")).Expect(200).Json;
        Assert.Equal(2L, (long)stats["pinnedpost_count"]!);

        // A deleted post leaves the list; an unknown post is refused as Mattermost refuses it.
        (await alice.DeleteAsync($"/api/v4/posts/{third}")).Expect(200);
        Assert.Equal([first], (await bob.GetAsync($"/api/v4/channels/{channelId}/pinned")).Expect(200).Json.Order());
        (await bob.PostAsync($"/api/v4/posts/{third}/pin", null)).Expect(403);
        (await bob.PostAsync("/api/v4/posts/not-an-id/pin", null)).Expect(400);
    }

    [Fact]
    public async Task System_messages_and_posts_in_archived_channels_cannot_be_pinned()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var list = (await alice.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json;
        var joined = list.Order().First(id => ((string?)list["posts"]![id]!["type"] ?? "").StartsWith("system_", StringComparison.Ordinal));
        Assert.Equal("api.post.update_post.system_message.app_error", (string?)(await alice.PostAsync($"/api/v4/posts/{joined}/pin", null)).Expect(400).Json["id"]);

        var post = (await bob.CreatePostAsync(channelId, "before the archive")).Id();
        (await alice.DeleteAsync($"/api/v4/channels/{channelId}")).Expect(200);
        Assert.Equal("api.post.update_post.can_not_update_post_in_deleted.error", (string?)(await bob.PostAsync($"/api/v4/posts/{post}/pin", null)).Expect(400).Json["id"]);
        (await bob.PutAsync($"/api/v4/posts/{post}/patch", new { Message = "after" })).Expect(400);
    }

    [Fact]
    public async Task Flagged_posts_are_the_users_flagged_post_preferences_in_channels_they_still_read()
    {
        var (alice, bob, shared) = await ChannelWithTwoMembersAsync("P");
        var teamId = (string)(await alice.GetAsync($"/api/v4/channels/{shared}")).Json["team_id"]!;
        var own = await bob.CreateChannelAsync(teamId, "O");
        var older = (await alice.CreatePostAsync(shared, "older")).Id();
        var newer = (await bob.CreatePostAsync(own, "newer")).Id();
        var unflagged = (await alice.CreatePostAsync(shared, "not saved")).Id();
        var flags = new[] { older, newer }.Select(id => new { bob.UserId, Category = "flagged_post", Name = id, Value = "true" }).ToArray();
        (await bob.PutAsync($"/api/v4/users/{bob.UserId}/preferences", flags)).Expect(200);

        var flagged = (await bob.On(cluster.Api1.BaseUrl).GetAsync($"/api/v4/users/{bob.UserId}/posts/flagged")).Expect(200).Json;
        Assert.Equal([newer, older], flagged.Order());
        Assert.DoesNotContain(unflagged, flagged["posts"]!.AsObject().Select(p => p.Key));
        Assert.Equal([older], (await bob.GetAsync($"/api/v4/users/me/posts/flagged?channel_id={shared}")).Expect(200).Json.Order());
        Assert.Equal([newer, older], (await bob.GetAsync($"/api/v4/users/me/posts/flagged?team_id={teamId}&channel_id=")).Expect(200).Json.Order());
        Assert.Equal([older], (await bob.GetAsync("/api/v4/users/me/posts/flagged?page=1&per_page=1")).Expect(200).Json.Order());
        (await bob.GetAsync("/api/v4/users/me/posts/flagged?per_page=1000")).Expect(400);
        (await bob.GetAsync("/api/v4/users/me/posts/flagged?team_id=nope")).Expect(400);
        // Others' saved posts are theirs alone.
        (await alice.GetAsync($"/api/v4/users/{bob.UserId}/posts/flagged")).Expect(403);
        Assert.Equal([newer, older], (await cluster.Admin.GetAsync($"/api/v4/users/{bob.UserId}/posts/flagged")).Expect(200).Json.Order());

        // Unflagging deletes the preference; leaving the channel drops its posts from the list.
        (await bob.PostAsync($"/api/v4/users/{bob.UserId}/preferences/delete", new[] { flags[1] })).Expect(200);
        Assert.Equal([older], (await bob.GetAsync("/api/v4/users/me/posts/flagged")).Expect(200).Json.Order());
        (await bob.DeleteAsync($"/api/v4/channels/{shared}/members/{bob.UserId}")).Expect(200);
        Assert.Empty((await bob.GetAsync("/api/v4/users/me/posts/flagged")).Expect(200).Json.Order());
    }

    [Fact]
    public async Task Posts_by_ids_leaves_out_what_the_caller_cannot_read_and_keeps_deleted_ones()
    {
        var (alice, bob, shared) = await ChannelWithTwoMembersAsync("O");
        var teamId = (string)(await alice.GetAsync($"/api/v4/channels/{shared}")).Json["team_id"]!;
        var secret = await alice.CreateChannelAsync(teamId, "P");
        var a = (await alice.CreatePostAsync(shared, "a")).Id();
        var b = (await bob.CreatePostAsync(shared, "b")).Id();
        var hidden = (await alice.CreatePostAsync(secret, "hidden")).Id();
        (await bob.DeleteAsync($"/api/v4/posts/{b}")).Expect(200);

        var posts = (await bob.On(cluster.Api1.BaseUrl).PostAsync("/api/v4/posts/ids", new[] { a, b, hidden, a })).Expect(200).Json;
        Assert.Equal([b, a], posts.Ids());
        Assert.True((long)posts[0]!["delete_at"]! > 0);
        Assert.Equal([hidden, b, a], (await alice.PostAsync("/api/v4/posts/ids", new[] { a, b, hidden })).Expect(200).Json.Ids());

        Assert.Equal("app.post.get.app_error", (string?)(await bob.PostAsync("/api/v4/posts/ids", new[] { Unique.Suffix() + Unique.Suffix() + "abcdef" })).Expect(404).Json["id"]);
        (await bob.PostAsync("/api/v4/posts/ids", Array.Empty<string>())).Expect(400);
        (await bob.PostAsync("/api/v4/posts/ids", new[] { a, "not-an-id" })).Expect(400);
        Assert.Equal("api.post.posts_by_ids.invalid_body.request_error",
            (string?)(await bob.PostAsync("/api/v4/posts/ids", Enumerable.Range(0, 1001).Select(i => $"{i:D26}").ToArray())).Expect(400).Json["id"]);
        (await bob.SendAsync(HttpMethod.Post, "/api/v4/posts/ids", ApiClient.RawJson("{\"ids\":1}"))).Expect(400);
    }

    [Fact]
    public async Task An_edit_keeps_the_replaced_version_which_only_the_author_reads_back()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var created = await alice.CreatePostAsync(channelId, "one");
        var postId = created.Id();
        Assert.Equal("app.post.get.app_error", (string?)(await alice.GetAsync($"/api/v4/posts/{postId}/edit_history")).Expect(404).Json["id"]);

        var second = (await alice.PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "two" })).Expect(200).Json;
        (await alice.On(cluster.Api2.BaseUrl).PostAsync($"/api/v4/posts/{postId}/pin", null)).Expect(200);
        (await alice.On(cluster.Api2.BaseUrl).PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "three" })).Expect(200);

        var history = (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/posts/{postId}/edit_history")).Expect(200).Json.AsArray();
        Assert.Equal(["two", "one"], history.Select(p => (string)p!["message"]!));
        Assert.All(history, p =>
        {
            Assert.Equal(postId, (string?)p!["original_id"]);
            Assert.NotEqual(postId, p.Id());
            Assert.True((long)p["delete_at"]! > 0);
            Assert.Equal((long)created["create_at"]!, (long)p["create_at"]!);
        });
        Assert.Equal((long)second["edit_at"]!, (long)history[0]!["edit_at"]!);
        Assert.True((bool)history[0]!["is_pinned"]!);
        Assert.Equal(0L, (long)history[1]!["edit_at"]!);

        // The post keeps its id; its old versions appear in no list of the channel.
        var current = (await bob.GetAsync($"/api/v4/posts/{postId}")).Expect(200).Json;
        Assert.Equal("three", (string?)current["message"]);
        Assert.Contains(postId, (await bob.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json.Order());
        Assert.DoesNotContain(history[0].Id(), (await cluster.Admin.GetAsync($"/api/v4/channels/{channelId}/posts?include_deleted=true")).Expect(200).Json.Order());
        Assert.Equal([postId], (await alice.GetAsync($"/api/v4/channels/{channelId}/pinned")).Expect(200).Json.Order());
        (await bob.GetAsync($"/api/v4/posts/{postId}/edit_history")).Expect(403);
    }

    [Fact]
    public async Task Deleted_posts_are_listed_for_system_admins_who_ask()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var kept = (await alice.CreatePostAsync(channelId, "kept")).Id();
        var gone = (await bob.CreatePostAsync(channelId, "gone")).Id();
        (await bob.DeleteAsync($"/api/v4/posts/{gone}")).Expect(200);

        Assert.DoesNotContain(gone, (await alice.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json.Order());
        Assert.DoesNotContain(gone, (await alice.GetAsync($"/api/v4/channels/{channelId}/posts?include_deleted=false")).Expect(200).Json.Order());
        (await alice.GetAsync($"/api/v4/channels/{channelId}/posts?include_deleted=true")).Expect(403);
        var all = (await cluster.Admin.GetAsync($"/api/v4/channels/{channelId}/posts?include_deleted=true")).Expect(200).Json;
        Assert.Equal([gone, kept], all.Order().Take(2));
        Assert.True((long)all["posts"]![gone]!["delete_at"]! > 0);
        Assert.Equal([gone], (await cluster.Admin.GetAsync($"/api/v4/channels/{channelId}/posts?include_deleted=true&after={kept}")).Expect(200).Json.Order());
    }

    [Fact]
    public async Task Posts_carry_metadata_with_an_embed_for_message_attachments()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var plain = await alice.CreatePostAsync(channelId, "plain");
        Assert.Equal("{}", plain["metadata"]!.ToJsonString());
        var attached = (await alice.PostAsync("/api/v4/posts", new
        {
            ChannelId = channelId,
            Message = "with an attachment",
            Props = new { attachments = new[] { new { text = "build passed", color = "#00ff00" } } },
        })).Expect(201).Json;
        Assert.Equal("""[{"type":"message_attachment"}]""", attached["metadata"]!["embeds"]!.ToJsonString());

        var read = (await bob.GetAsync($"/api/v4/posts/{attached.Id()}")).Expect(200).Json;
        Assert.Equal("message_attachment", (string?)read["metadata"]!["embeds"]![0]!["type"]);
        var listed = (await bob.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json;
        Assert.Equal("message_attachment", (string?)listed["posts"]![attached.Id()]!["metadata"]!["embeds"]![0]!["type"]);
        Assert.Null(listed["posts"]![plain.Id()]!["metadata"]!["embeds"]);
    }

    /// <summary>Alice creates a team and a channel of the given type and adds Bob; Alice talks to api-1, Bob to api-2.</summary>
    private async Task<(ApiClient Alice, ApiClient Bob, string ChannelId)> ChannelWithTwoMembersAsync(string type)
    {
        var users = await Task.WhenAll(cluster.NewUserAsync(cluster.Api1), cluster.NewUserAsync(cluster.Api2));
        var (alice, bob) = (users[0], users[1]);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId, type);
        await alice.AddToChannelAsync(channelId, bob);
        return (alice, bob, channelId);
    }
}
