using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>Posting, editing, deleting, paging and searching, with writes and reads spread over both nodes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PostsTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Create_get_patch_and_delete_across_nodes()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("P");
        var pending = $"{alice.UserId}:{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}";
        var created = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "first draft", PendingPostId = pending, Props = new { from_test = true } })).Expect(201).Json;
        var postId = created.Id();
        Assert.Equal(26, postId.Length);
        Assert.Equal(channelId, (string?)created["channel_id"]);
        Assert.Equal(alice.UserId, (string?)created["user_id"]);
        Assert.Equal(pending, (string?)created["pending_post_id"]);
        Assert.True((long)created["create_at"]! > 0);
        Assert.Equal(0L, (long)created["edit_at"]!);

        var read = (await bob.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/posts/{postId}")).Expect(200).Json;
        Assert.Equal("first draft", (string?)read["message"]);
        Assert.True((bool)read["props"]!["from_test"]!);

        var patched = (await alice.On(cluster.Api2.BaseUrl).PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "final text", IsPinned = true })).Expect(200).Json;
        Assert.Equal("final text", (string?)patched["message"]);
        Assert.True((bool)patched["is_pinned"]!);
        Assert.True((long)patched["edit_at"]! >= (long)created["create_at"]!);
        Assert.Equal("final text", (string?)(await bob.GetAsync($"/api/v4/posts/{postId}")).Expect(200).Json["message"]);
        // Others may not edit or delete it.
        (await bob.PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "vandalised" })).Expect(403);
        (await bob.DeleteAsync($"/api/v4/posts/{postId}")).Expect(403);

        var reply = await bob.CreatePostAsync(channelId, "a reply", rootId: postId);
        Assert.Equal(postId, (string?)reply["root_id"]);

        Assert.Equal("OK", (string?)(await alice.DeleteAsync($"/api/v4/posts/{postId}")).Expect(200).Json["status"]);
        (await bob.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/posts/{postId}")).Expect(404);
        (await alice.DeleteAsync($"/api/v4/posts/{postId}")).Expect(404);
        (await alice.PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "too late" })).Expect(404);
        var list = (await bob.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json;
        Assert.Equal([reply.Id()], WithoutSystemPosts(list));

        // Clients catching up with `since` learn of the deletion.
        var since = (await bob.GetAsync($"/api/v4/channels/{channelId}/posts?since={(long)created["create_at"]! - 1}")).Expect(200).Json;
        Assert.True((long)since["posts"]![postId]!["delete_at"]! > 0);
        Assert.Contains(reply.Id(), since.Order());
    }

    [Fact]
    public async Task Channel_posts_page_newest_first_with_neighbours()
    {
        // One member, who writes through both nodes: a channel without the system post of a second member's addition.
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        var ids = new List<string>();
        var createdAt = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            var post = await (i % 2 == 0 ? alice : alice.On(cluster.Api2.BaseUrl)).CreatePostAsync(channelId, $"message {i}");
            ids.Add(post.Id());
            createdAt.Add((long)post["create_at"]!);
        }
        var reader = alice.On(cluster.Api2.BaseUrl);

        async Task<JsonNode> List(string query) => (await reader.GetAsync($"/api/v4/channels/{channelId}/posts?{query}")).Expect(200).Json;
        void AssertPage(JsonNode page, int[] order, int? next, int? prev)
        {
            Assert.Equal(order.Select(i => ids[i]), page.Order());
            Assert.Equal(order.Length, page["posts"]!.AsObject().Count);
            Assert.Equal(next is { } n ? ids[n] : "", (string?)page["next_post_id"]);
            Assert.Equal(prev is { } p ? ids[p] : "", (string?)page["prev_post_id"]);
        }

        AssertPage(await List(""), [6, 5, 4, 3, 2, 1, 0], null, null);
        AssertPage(await List("page=0&per_page=3"), [6, 5, 4], null, 3);
        AssertPage(await List("page=1&per_page=3"), [3, 2, 1], 4, 0);
        AssertPage(await List("page=2&per_page=3"), [0], 1, null);
        Assert.Empty((await List("page=3&per_page=3")).Order());
        AssertPage(await List($"before={ids[4]}&per_page=2"), [3, 2], 4, 1);
        AssertPage(await List($"before={ids[4]}&page=1&per_page=2"), [1, 0], 2, null);
        AssertPage(await List($"after={ids[2]}&per_page=2"), [4, 3], 5, 2);
        AssertPage(await List($"after={ids[2]}&page=1&per_page=2"), [6, 5], null, 4);

        var since = await List($"since={createdAt[3]}");
        Assert.Equal(Enumerable.Range(0, 7).Where(i => createdAt[i] > createdAt[3]).Select(i => ids[i]).Order(), since.Order().Order());
        Assert.Contains(ids[6], since.Order());

        // An anchor from another channel is not found.
        var elsewhere = await alice.CreateChannelAsync((string)(await alice.GetAsync($"/api/v4/channels/{channelId}")).Json["team_id"]!);
        var stranger = (await alice.CreatePostAsync(elsewhere, "elsewhere")).Id();
        (await reader.GetAsync($"/api/v4/channels/{channelId}/posts?before={stranger}")).Expect(404);
    }

    [Fact]
    public async Task Concurrent_posts_on_both_nodes_get_one_database_order()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var writers = new[] { alice, bob.On(cluster.Api1.BaseUrl), alice.On(cluster.Api2.BaseUrl), bob };
        var posts = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => writers[i % writers.Length].CreatePostAsync(channelId, $"burst {i}")));
        var list = (await alice.GetAsync($"/api/v4/channels/{channelId}/posts?per_page=100")).Expect(200).Json;
        var order = list.Order();
        Assert.Equal(posts.Select(p => p.Id()).Order(), WithoutSystemPosts(list).Order());
        // Every node sees the same order, and the channel counts every post (bob's addition's too) and the latest time.
        Assert.Equal(order, (await bob.GetAsync($"/api/v4/channels/{channelId}/posts?per_page=100")).Expect(200).Json.Order());
        var channel = (await bob.GetAsync($"/api/v4/channels/{channelId}")).Expect(200).Json;
        Assert.Equal(25L, (long)channel["total_msg_count"]!);
        Assert.Equal(posts.Max(p => (long)p["create_at"]!), (long)channel["last_post_at"]!);
    }

    [Fact]
    public async Task A_reply_must_stay_in_its_root_posts_channel()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync("O");
        var teamId = (string)(await alice.GetAsync($"/api/v4/channels/{channelId}")).Json["team_id"]!;
        var other = await alice.CreateChannelAsync(teamId);
        var root = (await alice.CreatePostAsync(other, "root elsewhere")).Id();
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "reply", RootId = root })).Expect(400);
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "reply", RootId = Unique.Suffix().PadRight(26, 'q') })).Expect(400);
    }

    [Fact]
    public async Task Search_uses_the_full_text_index_in_the_callers_channels_only()
    {
        var (alice, bob, shared) = await ChannelWithTwoMembersAsync("O");
        var teamId = (string)(await alice.GetAsync($"/api/v4/channels/{shared}")).Json["team_id"]!;
        var secret = await alice.CreateChannelAsync(teamId, "P");
        var sharedName = (string)(await alice.GetAsync($"/api/v4/channels/{shared}")).Json["name"]!;
        var word = "zq" + Unique.Suffix();
        var both = (await alice.CreatePostAsync(shared, $"{word} banana split")).Id();
        var banana = (await bob.CreatePostAsync(shared, $"just a {word.ToUpperInvariant()} banana, posted by Bob")).Id();
        var hidden = (await alice.CreatePostAsync(secret, $"{word} banana in private")).Id();
        var gone = (await alice.CreatePostAsync(shared, $"{word} banana deleted")).Id();
        (await alice.DeleteAsync($"/api/v4/posts/{gone}")).Expect(200);
        var edited = (await alice.CreatePostAsync(shared, $"{word} before the edit")).Id();
        (await alice.PutAsync($"/api/v4/posts/{edited}/patch", new { Message = $"{word} rewritten completely" })).Expect(200);

        async Task<List<string>> Search(ApiClient who, string terms, bool or = false) =>
            (await who.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = terms, IsOrSearch = or })).Expect(200).Json.Order();

        // Words: all must match, case-insensitive, stemmed ("posting" finds "posted"), newest first, members only.
        Assert.Equal([hidden, banana, both], await Search(alice, $"{word} banana"));
        Assert.Equal([banana, both], await Search(bob.On(cluster.Api1.BaseUrl), $"{word} BANANA"));
        Assert.Equal([banana], await Search(bob, $"{word} posting"));
        Assert.Equal([both], await Search(bob, $"{word} split"));
        Assert.Empty(await Search(bob, $"{word} split unheardof"));
        Assert.Equal([banana, both], await Search(bob, $"{word}x split banana", or: true));
        // Phrases, exclusions, prefixes.
        Assert.Equal([both], await Search(bob, $"\"{word} banana split\""));
        Assert.Empty(await Search(bob, $"\"split banana\" {word}"));
        Assert.Equal([banana], await Search(bob, $"{word} banana -split"));
        Assert.Equal([banana, both], await Search(bob, $"{word[..^2]}* ban*"));
        // Edits are re-indexed; deleted posts are gone.
        Assert.Equal([edited], await Search(alice, $"{word} rewritten"));
        Assert.Empty(await Search(alice, $"{word} edit"));
        Assert.Empty(await Search(alice, $"{word} deleted"));
        // Modifiers.
        Assert.Equal([banana], await Search(alice, $"{word} from:{bob.Username}"));
        Assert.Equal([banana], await Search(alice, $"{word} from:@{bob.Username!.ToUpperInvariant()}"));
        Assert.Equal([hidden], await Search(alice, $"{word} in:{(string)(await alice.GetAsync($"/api/v4/channels/{secret}")).Json["name"]!}"));
        Assert.Equal([edited, banana, both], await Search(alice, $"{word} in:{sharedName}"));
        var today = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([banana, both], await Search(bob, $"{word} banana on:{today}"));
        Assert.Equal([banana, both], await Search(bob, $"{word} banana after:{yesterday}"));
        Assert.Empty(await Search(bob, $"{word} banana before:{today}"));
        Assert.Equal([edited, both], await Search(alice, $"from:{alice.Username} in:{sharedName}"));

        var expect = new Expectations();
        foreach (var bad in new[] { "", "   ", "on:yesterday", "before:2024-13-01", "from:", new string('a', 1025), string.Join(' ', Enumerable.Repeat("x", 33)) })
        {
            await expect.Check($"terms '{bad[..Math.Min(bad.Length, 20)]}'", bob.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = bad }), 400);
        }
        await expect.Check("odd time zone", bob.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = word, TimeZoneOffset = 7 }), 400);
        expect.Verify();
    }

    /// <summary>A PostList's order without the server's system messages (such as a member's addition).</summary>
    private static List<string> WithoutSystemPosts(JsonNode postList) =>
        [.. postList.Order().Where(id => !((string?)postList["posts"]![id]!["type"] ?? "").StartsWith("system_", StringComparison.Ordinal))];

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
