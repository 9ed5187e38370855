using System.Text.Json.Nodes;
using Chat.Testing;

namespace Chat.IntegrationTests;

/// <summary>
/// Threads: replies raise their thread's counters and their followers' unread state in their own transaction,
/// exactly, however many api nodes reply at once; the thread view, collapsed channel lists and the followed-threads
/// routes the web app's collapsed reply threads read.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ThreadsTests(ClusterFixture cluster)
{
    private const int Replies = 200;

    [Fact]
    public async Task Concurrent_replies_from_both_nodes_count_every_followers_thread_exactly()
    {
        // alice starts the thread; bob, carol and dave reply; erin only reads, and is mentioned by carol's replies.
        var (teamId, channelId, alice, bob, carol, dave, erin) = await WorldAsync();
        var root = await alice.CreatePostAsync(channelId, "the thread");
        var authors = new[] { bob, carol, dave, bob };
        var created = new JsonNode[Replies];
        await Parallel.ForEachAsync(Enumerable.Range(0, Replies), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var message = (i % 4) switch
            {
                1 => $"@{erin.Username} look at {i}",
                2 => $"@{alice.Username} reply {i}",
                _ => $"reply {i}",
            };
            var node = i % 2 == 0 ? cluster.Api1 : cluster.Api2;
            created[i] = (await authors[i % 4].On(node.BaseUrl).PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = message, RootId = root.Id() })).Expect(201).Json;
        });
        var lastReplyAt = created.Max(p => (long)p["create_at"]!);

        var thread = (await bob.GetAsync($"/api/v4/posts/{root.Id()}/thread")).Expect(200).Json;
        var order = thread.Order();
        Assert.Equal(Replies + 1, order.Count);
        Assert.Equal(root.Id(), order[0]);
        Assert.All(thread["posts"]!.AsObject(), p => Assert.Equal(Replies, (long)p.Value!["reply_count"]!));

        var aliceThreads = (await alice.GetAsync($"/api/v4/users/me/teams/{teamId}/threads")).Expect(200).Json;
        Assert.Equal(1L, (long)aliceThreads["total"]!);
        Assert.Equal(1L, (long)aliceThreads["total_unread_threads"]!);
        Assert.Equal(Replies / 4, (long)aliceThreads["total_unread_mentions"]!);
        var aliceThread = aliceThreads["threads"]![0]!;
        Assert.Equal(root.Id(), aliceThread.Id());
        Assert.Equal(Replies, (long)aliceThread["reply_count"]!);
        Assert.Equal(Replies, (long)aliceThread["unread_replies"]!);
        Assert.Equal(Replies / 4, (long)aliceThread["unread_mentions"]!);
        Assert.Equal(lastReplyAt, (long)aliceThread["last_reply_at"]!);
        Assert.Equal(root.Id(), aliceThread["post"].Id());
        Assert.Equal(
            new[] { bob.UserId!, carol.UserId!, dave.UserId! }.Order().ToList(),
            aliceThread["participants"]!.AsArray().Select(p => (string)p!["id"]!).Order().ToList());

        // erin follows because she is mentioned; nothing she has read.
        var erinThread = (await erin.GetAsync($"/api/v4/users/me/teams/{teamId}/threads/{root.Id()}")).Expect(200).Json;
        Assert.Equal(Replies / 4, (long)erinThread["unread_mentions"]!);
        Assert.Equal(Replies, (long)erinThread["unread_replies"]!);

        // A replier has read the thread up to their last reply.
        foreach (var replier in new[] { bob, carol, dave })
        {
            var lastOwn = created.Where(p => (string)p["user_id"]! == replier.UserId).Max(p => (long)p["create_at"]!);
            var mine = (await replier.GetAsync($"/api/v4/users/me/teams/{teamId}/threads/{root.Id()}")).Expect(200).Json;
            Assert.Equal(lastOwn, (long)mine["last_viewed_at"]!);
            Assert.Equal(created.Count(p => (long)p["create_at"]! > lastOwn), (long)mine["unread_replies"]!);
            Assert.Equal(0L, (long)mine["unread_mentions"]!);
        }

        await using (var command = cluster.Database.CreateCommand($"SELECT reply_count, last_reply_at, cardinality(participants) FROM threads WHERE post_id = '{root.Id()}'"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(Replies, reader.GetInt64(0));
            Assert.Equal(lastReplyAt, reader.GetInt64(1));
            Assert.Equal(3, reader.GetInt32(2));
        }

        // Collapsed, the channel shows its roots (the thread's and the joins' system posts) and no reply.
        var collapsed = (await alice.GetAsync($"/api/v4/channels/{channelId}/posts?collapsedThreads=true&collapsedThreadsExtended=true")).Expect(200).Json;
        Assert.Equal(root.Id(), collapsed.Order()[0]);
        Assert.All(collapsed["posts"]!.AsObject(), p => Assert.Equal("", (string?)p.Value!["root_id"]));
        var shown = collapsed["posts"]![root.Id()]!;
        Assert.Equal(Replies, (long)shown["reply_count"]!);
        Assert.Equal(lastReplyAt, (long)shown["last_reply_at"]!);
        Assert.True((bool)shown["is_following"]!);
        Assert.Equal(3, shown["participants"]!.AsArray().Count);
        Assert.All(shown["participants"]!.AsArray(), p => Assert.False(string.IsNullOrEmpty((string?)p!["username"])));

        var unreads = (await alice.GetAsync("/api/v4/users/me/teams/unread?include_collapsed_threads=true")).Expect(200).Json.AsArray();
        var teamUnread = unreads.Single(u => (string)u!["team_id"]! == teamId)!;
        Assert.Equal(1L, (long)teamUnread["thread_count"]!);
        Assert.Equal(Replies / 4, (long)teamUnread["thread_mention_count"]!);
    }

    [Fact]
    public async Task Reading_following_and_marking_all_read_change_the_followers_counts()
    {
        var (teamId, channelId, alice, bob, _, _, erin) = await WorldAsync();
        var root = await alice.CreatePostAsync(channelId, "read me");
        await bob.CreatePostAsync(channelId, "first", root.Id());
        var last = await bob.CreatePostAsync(channelId, $"@{erin.Username} second", root.Id());
        var threads = $"/api/v4/users/me/teams/{teamId}/threads";

        // Reading up to the first reply leaves the second unread.
        var partly = (await alice.PutAsync($"{threads}/{root.Id()}/read/{(long)last["create_at"]! - 1}", null)).Expect(200).Json;
        Assert.Equal(1L, (long)partly["unread_replies"]!);
        var read = (await alice.PutAsync($"{threads}/{root.Id()}/read/{(long)last["create_at"]!}", null)).Expect(200).Json;
        Assert.Equal(0L, (long)read["unread_replies"]!);
        Assert.Equal(0L, (long)(await alice.GetAsync(threads)).Expect(200).Json["total_unread_threads"]!);

        (await alice.DeleteAsync($"{threads}/{root.Id()}/following")).Expect(200);
        Assert.Equal(0L, (long)(await alice.GetAsync(threads)).Expect(200).Json["total"]!);
        await bob.CreatePostAsync(channelId, "after alice left", root.Id());
        Assert.Equal(0L, (long)(await alice.GetAsync(threads)).Expect(200).Json["total"]!);
        (await alice.PutAsync($"{threads}/{root.Id()}/following", null)).Expect(200);
        var again = (await alice.GetAsync(threads)).Expect(200).Json;
        Assert.Equal(1L, (long)again["total"]!);
        Assert.Equal(0L, (long)again["total_unread_threads"]!);

        var erinBefore = (await erin.GetAsync($"{threads}?unread=true")).Expect(200).Json;
        Assert.Equal(1L, (long)erinBefore["total_unread_mentions"]!);
        Assert.Single(erinBefore["threads"]!.AsArray());
        (await erin.PutAsync($"{threads}/read", null)).Expect(200);
        var erinAfter = (await erin.GetAsync($"{threads}?unread=true")).Expect(200).Json;
        Assert.Equal(0L, (long)erinAfter["total_unread_mentions"]!);
        Assert.Equal(0L, (long)erinAfter["total_unread_threads"]!);
        Assert.Empty(erinAfter["threads"]!.AsArray());

        // A deleted reply leaves the count.
        (await bob.DeleteAsync($"/api/v4/posts/{last.Id()}")).Expect(200);
        Assert.Equal(2L, (long)(await alice.GetAsync($"{threads}/{root.Id()}")).Expect(200).Json["reply_count"]!);
    }

    [Fact]
    public async Task A_thread_pages_forwards_from_a_cursor_as_the_web_app_asks()
    {
        var (_, channelId, alice, bob, _, _, _) = await WorldAsync();
        var root = await alice.CreatePostAsync(channelId, "paged");
        var replies = new List<JsonNode>();
        for (var i = 0; i < 7; i++)
        {
            replies.Add(await bob.CreatePostAsync(channelId, $"reply {i}", root.Id()));
        }
        var first = (await bob.GetAsync($"/api/v4/posts/{root.Id()}/thread?perPage=4&direction=down&skipFetchThreads=false&collapsedThreads=true")).Expect(200).Json;
        Assert.True((bool)first["has_next"]!);
        Assert.Equal([root.Id(), .. replies.Take(4).Select(r => r.Id())], first.Order());
        var fourth = replies[3];
        var second = (await bob.GetAsync($"/api/v4/posts/{root.Id()}/thread?perPage=4&direction=down&collapsedThreads=true&fromPost={fourth.Id()}&fromCreateAt={(long)fourth["create_at"]!}")).Expect(200).Json;
        Assert.False((bool)second["has_next"]!);
        Assert.Equal([root.Id(), .. replies.Skip(4).Select(r => r.Id())], second.Order());
        Assert.Equal(7L, (long)second["posts"]![root.Id()]!["reply_count"]!);
        Assert.Equal(0L, (long)second["posts"]![replies[4].Id()]!["reply_count"]!);

        var onlyRoot = (await bob.GetAsync($"/api/v4/posts/{root.Id()}/thread?skipFetchThreads=true")).Expect(200).Json;
        Assert.Equal([root.Id()], onlyRoot.Order());

        // A reply's thread (not collapsed) is the whole thread, the reply first.
        var fromReply = (await bob.GetAsync($"/api/v4/posts/{replies[2].Id()}/thread")).Expect(200).Json;
        Assert.Equal(8, fromReply.Order().Count);
        Assert.Equal(replies[2].Id(), fromReply.Order()[0]);

        // The channel's replies bring their root along (in posts, not in the order).
        var page = (await bob.GetAsync($"/api/v4/channels/{channelId}/posts?per_page=2")).Expect(200).Json;
        Assert.Equal([replies[6].Id(), replies[5].Id()], page.Order());
        Assert.NotNull(page["posts"]![root.Id()]);
    }

    [Fact]
    public async Task The_unread_window_starts_at_the_members_first_unread_post()
    {
        var (_, channelId, alice, bob, _, _, _) = await WorldAsync();
        await alice.CreatePostAsync(channelId, "read");
        (await bob.PostAsync("/api/v4/channels/members/me/view", new { ChannelId = channelId })).Expect(200);
        var unread = new List<JsonNode>();
        for (var i = 0; i < 3; i++)
        {
            unread.Add(await alice.CreatePostAsync(channelId, $"unread {i}"));
        }
        var window = (await bob.GetAsync($"/api/v4/users/me/channels/{channelId}/posts/unread?limit_after=2&limit_before=1")).Expect(200).Json;
        var order = window.Order();
        Assert.Equal([unread[1].Id(), unread[0].Id()], order.Take(2));
        Assert.Equal(3, order.Count);
        Assert.Equal(unread[2].Id(), (string)window["next_post_id"]!);
    }

    [Fact]
    public async Task Bad_thread_parameters_are_answered_with_400_and_unknown_threads_with_404()
    {
        var (teamId, channelId, alice, bob, _, _, _) = await WorldAsync();
        var root = await alice.CreatePostAsync(channelId, "root");
        var reply = await bob.CreatePostAsync(channelId, "reply", root.Id());
        var expect = new Expectations();
        await expect.Check("direction", bob.GetAsync($"/api/v4/posts/{root.Id()}/thread?direction=sideways"), 400);
        await expect.Check("perPage", bob.GetAsync($"/api/v4/posts/{root.Id()}/thread?perPage=-1"), 400);
        await expect.Check("fromPost", bob.GetAsync($"/api/v4/posts/{root.Id()}/thread?fromPost=nope"), 400);
        await expect.Check("updatesOnly up", bob.GetAsync($"/api/v4/posts/{root.Id()}/thread?updatesOnly=true&direction=up"), 400);
        await expect.Check("unknown post", bob.GetAsync($"/api/v4/posts/{Ids()}/thread"), 404);
        await expect.Check("per_page", bob.GetAsync($"/api/v4/users/me/teams/{teamId}/threads?per_page=0"), 400);
        await expect.Check("totals and threads only", bob.GetAsync($"/api/v4/users/me/teams/{teamId}/threads?totalsOnly=true&threadsOnly=true"), 400);
        await expect.Check("a reply is no thread", bob.PutAsync($"/api/v4/users/me/teams/{teamId}/threads/{reply.Id()}/following", null), 404);
        await expect.Check("timestamp", bob.PutAsync($"/api/v4/users/me/teams/{teamId}/threads/{root.Id()}/read/yesterday", null), 400);
        await expect.Check("limit_after", bob.GetAsync($"/api/v4/users/me/channels/{channelId}/posts/unread?limit_after=0"), 400);
        await expect.Check("limit_before", bob.GetAsync($"/api/v4/users/me/channels/{channelId}/posts/unread?limit_before=201"), 400);
        await expect.Check("another channel's root", alice.PostAsync("/api/v4/posts", new { ChannelId = await alice.CreateChannelAsync(teamId), Message = "x", RootId = root.Id() }), 400);
        expect.Verify();
    }

    private static string Ids() => Guid.NewGuid().ToString("N")[..26];

    private async Task<(string TeamId, string ChannelId, ApiClient Alice, ApiClient Bob, ApiClient Carol, ApiClient Dave, ApiClient Erin)> WorldAsync()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var bob = await cluster.NewUserAsync(cluster.Api2, "bob");
        var carol = await cluster.NewUserAsync(cluster.Api1, "carol");
        var dave = await cluster.NewUserAsync(cluster.Api2, "dave");
        var erin = await cluster.NewUserAsync(cluster.Api1, "erin");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob, carol, dave, erin);
        var channelId = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(channelId, bob, carol, dave, erin);
        return (teamId, channelId, alice, bob, carol, dave, erin);
    }
}
