using System.Text.Json.Nodes;
using Chat.Testing;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// Reactions through both api nodes with a watcher's socket on a realtime node: exact counts, has_reactions and
/// one event per change under concurrency; the emoji checks; custom emoji in the routes and in post metadata.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class ReactionsTests(RealtimeFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Reactors = 10;
    private const int EmojiPerReactor = 20;

    /// <summary>System emoji names (Mattermost's list), one per reaction of a reactor.</summary>
    private static readonly string[] EmojiNames =
    [
        "smile", "+1", "-1", "heart", "tada", "eyes", "rocket", "white_check_mark", "100", "joy",
        "thinking_face", "fire", "clap", "pray", "wave", "star-struck", "ok_hand", "muscle", "sunglasses", "raised_hands",
    ];

    public async Task InitializeAsync()
    {
        await cluster.EnsureRunningAsync(cluster.Realtime1);
        await cluster.EnsureRunningAsync(cluster.Realtime2);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Two_hundred_concurrent_reactions_over_both_api_nodes_count_exactly_and_each_reaches_the_other_realtime_node()
    {
        var (owner, channelId, members, _) = await ChannelAsync(Reactors + 1);
        var (watcher, reactors) = (members[^1], members[..^1]);
        var postId = (await owner.CreatePostAsync(channelId, "react to me")).Id();
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, watcher.Token);
        await socket.WaitForAsync("hello");

        var all = reactors.SelectMany(r => EmojiNames.Select(e => (Reactor: r, Emoji: e))).ToList();
        Assert.Equal(200, all.Count);
        var added = await Task.WhenAll(all.Select((x, i) =>
            x.Reactor.On(Node(i)).PostAsync("/api/v4/reactions", new { x.Reactor.UserId, PostId = postId, EmojiName = x.Emoji })));
        Assert.All(added, r => r.Expect(200));
        Assert.All(added, r => Assert.Equal(channelId, (string?)r.Json["channel_id"]));

        var addedEvents = await CollectAsync(socket, "reaction_added", postId, 200);
        Assert.Equal(
            all.Select(x => $"{x.Reactor.UserId}/{x.Emoji}").Order(StringComparer.Ordinal),
            addedEvents.Select(e => $"{e["user_id"]}/{e["emoji_name"]}").Order(StringComparer.Ordinal));
        await AssertReactionsAsync(watcher, postId, 200);

        // Half go away while the other half are added again (an idempotent save), from both nodes at once.
        var (removed, kept) = (all.Where((_, i) => i % 2 == 0).ToList(), all.Where((_, i) => i % 2 == 1).ToList());
        var changes = await Task.WhenAll(
            removed.Select((x, i) => x.Reactor.On(Node(i)).DeleteAsync($"/api/v4/users/{x.Reactor.UserId}/posts/{postId}/reactions/{Uri.EscapeDataString(x.Emoji)}"))
                .Concat(kept.Select((x, i) => x.Reactor.On(Node(i + 1)).PostAsync("/api/v4/reactions", new { x.Reactor.UserId, PostId = postId, EmojiName = x.Emoji }))));
        Assert.All(changes, r => r.Expect(200));
        var removedEvents = await CollectAsync(socket, "reaction_removed", postId, 100);
        Assert.Equal(
            removed.Select(x => $"{x.Reactor.UserId}/{x.Emoji}").Order(StringComparer.Ordinal),
            removedEvents.Select(e => $"{e["user_id"]}/{e["emoji_name"]}").Order(StringComparer.Ordinal));
        await AssertReactionsAsync(watcher, postId, 100);

        // The last ones, concurrently: has_reactions must end false, whichever removal commits last.
        var last = await Task.WhenAll(kept.Select((x, i) =>
            x.Reactor.On(Node(i)).DeleteAsync($"/api/v4/users/{x.Reactor.UserId}/posts/{postId}/reactions/{Uri.EscapeDataString(x.Emoji)}")));
        Assert.All(last, r => r.Expect(200));
        await AssertReactionsAsync(watcher, postId, 0);
        Assert.Equal(0L, await cluster.ScalarAsync<long>("SELECT count(*) FROM reactions WHERE post_id = $1 AND delete_at = 0", postId));
    }

    [Fact]
    public async Task Reactions_are_checked_as_Mattermost_checks_them()
    {
        var (owner, channelId, reactors, _) = await ChannelAsync(1);
        var member = reactors[0];
        var postId = (await owner.CreatePostAsync(channelId, "check me")).Id();
        var outsider = await cluster.NewUserAsync(cluster.Api1);

        Assert.Equal("app.emoji.get_by_name.no_result", Id((await React(member, postId, "no_such_emoji_here")).Expect(404)));
        Assert.Equal("api.reaction.save_reaction.invalid.app_error", Id((await member.PostAsync("/api/v4/reactions", new { member.UserId, PostId = "x", EmojiName = "smile" })).Expect(400)));
        Assert.Equal("api.reaction.save_reaction.invalid.app_error", Id((await member.PostAsync("/api/v4/reactions", new { member.UserId, PostId = postId })).Expect(400)));
        Assert.Equal("api.reaction.save_reaction.user_id.app_error", Id((await member.PostAsync("/api/v4/reactions", new { owner.UserId, PostId = postId, EmojiName = "smile" })).Expect(403)));
        (await React(outsider, postId, "smile")).Expect(403);
        (await React(member, RolesAndPreferencesTests.NewId(), "smile")).Expect(403);
        (await member.GetAsync($"/api/v4/posts/{RolesAndPreferencesTests.NewId()}/reactions")).Expect(403);
        (await member.PostAsync("/api/v4/posts/ids/reactions", new[] { "bad" })).Expect(400);
        (await member.DeleteAsync($"/api/v4/users/{member.UserId}/posts/{postId}/reactions/not%20valid")).Expect(400);

        // Someone else's reaction: only with remove_others_reactions (system admins).
        (await React(owner, postId, "smile")).Expect(200);
        (await member.DeleteAsync($"/api/v4/users/{owner.UserId}/posts/{postId}/reactions/smile")).Expect(403);
        (await owner.DeleteAsync($"/api/v4/users/me/posts/{postId}/reactions/smile")).Expect(200);

        // At most 50 different emoji on one post (ServiceSettings.UniqueEmojiReactionLimitPerPost); more of the same are fine.
        var names = SystemNames(51);
        foreach (var name in names.Take(50))
        {
            (await React(member, postId, name)).Expect(200);
        }
        Assert.Equal("app.reaction.save.save.too_many_reactions", Id((await React(member, postId, names[50])).Expect(400)));
        (await React(owner, postId, names[0])).Expect(200);

        var bulk = (await member.PostAsync("/api/v4/posts/ids/reactions", new[] { postId })).Expect(200).Json;
        Assert.Equal(51, bulk[postId]!.AsArray().Count);
        var plain = (await owner.CreatePostAsync(channelId, "no reactions")).Id();
        Assert.Empty((await member.PostAsync("/api/v4/posts/ids/reactions", new[] { plain })).Expect(200).Json[plain]!.AsArray());
    }

    [Fact]
    public async Task Custom_emoji_are_listed_found_and_shown_in_post_metadata()
    {
        var (owner, channelId, reactors, teamId) = await ChannelAsync(1);
        var name = "party-" + Unique.Suffix();
        var emojiId = RolesAndPreferencesTests.NewId();
        await cluster.ScalarAsync<int>(
            "INSERT INTO emoji (id, create_at, update_at, creator_id, name) VALUES ($1, 1, 1, $2, $3) RETURNING 1", emojiId, owner.UserId!, name);

        Assert.Equal(name, (string?)(await owner.GetAsync($"/api/v4/emoji/name/{name}")).Expect(200).Json["name"]);
        Assert.Equal(name, (string?)(await owner.GetAsync($"/api/v4/emoji/{emojiId}")).Expect(200).Json["name"]);
        Assert.Contains(emojiId, (await owner.GetAsync("/api/v4/emoji?page=0&per_page=200&sort=name")).Expect(200).Json.Ids());
        Assert.Equal([emojiId], (await owner.PostAsync("/api/v4/emoji/names", new[] { name, "smile", "nobody-has-this" })).Expect(200).Json.Ids());
        Assert.Equal([emojiId], (await owner.GetAsync($"/api/v4/emoji/autocomplete?name={name[..8]}")).Expect(200).Json.Ids());
        Assert.Equal([emojiId], (await owner.PostAsync("/api/v4/emoji/search", new { Term = name[2..], PrefixOnly = false })).Expect(200).Json.Ids());
        Assert.Empty((await owner.PostAsync("/api/v4/emoji/search", new { Term = name[2..], PrefixOnly = true })).Expect(200).Json.AsArray());
        (await owner.GetAsync("/api/v4/emoji/name/nobody-has-this")).Expect(404);
        (await owner.GetAsync("/api/v4/emoji?sort=bogus")).Expect(400);
        (await owner.GetAsync("/api/v4/emoji/autocomplete")).Expect(400);
        (await owner.PostAsync("/api/v4/emoji/search", new { Term = "" })).Expect(400);
        (await owner.PostAsync("/api/v4/emoji/names", Array.Empty<string>())).Expect(400);
        (await owner.PostAsync("/api/v4/emoji/names", Enumerable.Repeat("smile", 201).ToArray())).Expect(400);

        var postId = (await owner.CreatePostAsync(channelId, $"look :{name}: and :smile:")).Id();
        (await React(reactors[0], postId, name)).Expect(200);
        var post = (await owner.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/posts/{postId}")).Expect(200).Json;
        Assert.True((bool)post["has_reactions"]!);
        Assert.Equal(name, (string?)post["metadata"]!["reactions"]![0]!["emoji_name"]);
        Assert.Equal([emojiId], post["metadata"]!["emojis"]!.Ids());
        var listed = (await owner.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json["posts"]![postId]!;
        Assert.Equal([emojiId], listed["metadata"]!["emojis"]!.Ids());
        var found = (await owner.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = "look" })).Expect(200).Json["posts"]![postId]!;
        Assert.Equal(name, (string?)found["metadata"]!["reactions"]![0]!["emoji_name"]);
        Assert.Equal([emojiId], found["metadata"]!["emojis"]!.Ids());
        var plain = (await owner.GetAsync($"/api/v4/posts/{(await owner.CreatePostAsync(channelId, "plain :smile:")).Id()}")).Expect(200).Json;
        Assert.False((bool)plain["has_reactions"]!);
        Assert.Null(plain["metadata"]!["reactions"]);
        Assert.Null(plain["metadata"]!["emojis"]);
    }

    /// <summary>
    /// The web app's data layer (tests/js/test/reactions-emoji.test.js: mattermost-redux's addReaction, removeReaction
    /// and custom emoji actions) over both api nodes, with a second user's socket on the other realtime node.
    /// </summary>
    [Fact]
    public async Task The_web_apps_reaction_and_emoji_actions_complete_and_a_second_users_socket_gets_the_events()
    {
        var run = await NodeTestRun.RunAsync(["test/reactions-emoji.test.js"], new Dictionary<string, string>
        {
            ["CHAT_API_URLS"] = $"{cluster.Api1.BaseUrl},{cluster.Api2.BaseUrl}",
            ["CHAT_REALTIME_URLS"] = $"{cluster.Realtime1.BaseUrl},{cluster.Realtime2.BaseUrl}",
        }, TimeSpan.FromMinutes(3));
        output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the reactions and emoji suite failed: {run}");
        Assert.Contains("# skipped 0", run.Stdout, StringComparison.Ordinal);
    }

    private string Node(int i) => (i % 2 == 0 ? cluster.Api1 : cluster.Api2).BaseUrl;

    private static Task<ApiResponse> React(ApiClient user, string postId, string emoji) =>
        user.PostAsync("/api/v4/reactions", new { user.UserId, PostId = postId, EmojiName = emoji });

    private static string? Id(ApiResponse response) => (string?)response.Json["id"];

    /// <summary>Names from the server's list that the test does not otherwise use.</summary>
    private static List<string> SystemNames(int count) =>
        [.. new[] { "apple", "banana", "cherries", "grapes", "lemon", "melon", "peach", "pear", "strawberry", "tangerine",
            "watermelon", "tomato", "eggplant", "corn", "carrot", "bread", "cheese", "egg", "bacon", "pizza",
            "hamburger", "fries", "hotdog", "taco", "burrito", "popcorn", "doughnut", "cookie", "cake", "candy",
            "lollipop", "coffee", "tea", "beer", "beers", "wine_glass", "cocktail", "tropical_drink", "sake", "baby_bottle",
            "dog", "cat", "mouse", "hamster", "rabbit", "fox_face", "bear", "panda_face", "koala", "tiger", "lion_face" }.Take(count)];

    /// <summary>The data.reaction of the next <paramref name="count"/> events named so for the post (and no more within a moment).</summary>
    private static async Task<List<JsonNode>> CollectAsync(MattermostSocket socket, string name, string postId, int count)
    {
        var got = new List<JsonNode>();
        while (got.Count < count)
        {
            var e = await socket.WaitForAsync(name, timeout: TimeSpan.FromSeconds(30));
            var reaction = JsonNode.Parse((string)e["data"]!["reaction"]!)!;
            if ((string?)reaction["post_id"] == postId)
            {
                got.Add(reaction);
            }
        }
        var extra = (await socket.DrainAsync(TimeSpan.FromMilliseconds(500))).Where(e => (string?)e["event"] == name).ToList();
        Assert.Empty(extra);
        return got;
    }

    /// <summary>The count, has_reactions and metadata.reactions agree, as seen through either api node.</summary>
    private async Task AssertReactionsAsync(ApiClient reader, string postId, int count)
    {
        foreach (var node in new[] { cluster.Api1, cluster.Api2 })
        {
            var on = reader.On(node.BaseUrl);
            Assert.Equal(count, (await on.GetAsync($"/api/v4/posts/{postId}/reactions")).Expect(200).Json.AsArray().Count);
            var post = (await on.GetAsync($"/api/v4/posts/{postId}")).Expect(200).Json;
            Assert.Equal(count > 0, (bool)post["has_reactions"]!);
            Assert.Equal(count, post["metadata"]?["reactions"]?.AsArray().Count ?? 0);
        }
    }

    /// <summary>A public channel of a new team with <paramref name="members"/> members besides its owner.</summary>
    private async Task<(ApiClient Owner, string ChannelId, List<ApiClient> Members, string TeamId)> ChannelAsync(int members)
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var teamId = await owner.CreateTeamAsync();
        var channelId = await owner.CreateChannelAsync(teamId);
        var users = new List<ApiClient>();
        for (var i = 0; i < members; i++)
        {
            var user = await cluster.NewUserAsync(i % 2 == 0 ? cluster.Api1 : cluster.Api2);
            await owner.AddToTeamAsync(teamId, user);
            await owner.AddToChannelAsync(channelId, user);
            users.Add(user);
        }
        return (owner, channelId, users, teamId);
    }
}
