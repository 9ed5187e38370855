using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// Creates a client may send again — after a timeout, or because its node died before answering — take effect once:
/// a post by its pending_post_id on any api node, reactions, channel views and direct/group channels by their nature.
/// The soak posts through the nginx edge while api nodes are SIGKILLed and counts what a user would see fail or twice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IdempotentCreateTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private RecordedEvents Log => new(cluster.DataSource);

    [Fact]
    public async Task A_repeated_pending_post_id_through_the_other_node_answers_the_original_post_with_one_row_and_one_event()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync();
        var key = Key(alice);
        var countBefore = (long)(await alice.GetAsync($"/api/v4/channels/{channelId}")).Expect(200).Json["total_msg_count"]!;
        var first = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "only once", PendingPostId = key })).Expect(201).Json;
        var again = (await alice.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "only once", PendingPostId = key })).Expect(201).Json;

        Assert.Equal(first.Id(), again.Id());
        Assert.Equal((long)first["create_at"]!, (long)again["create_at"]!);
        Assert.Equal(key, (string?)again["pending_post_id"]);
        Assert.Equal("only once", (string?)again["message"]);
        Assert.Equal(1L, await cluster.Cluster.ScalarAsync<long>("SELECT count(*) FROM posts WHERE user_id = $1 AND pending_post_id = $2", alice.UserId!, key));
        Assert.Equal(["posted"], (await Log.MentioningAsync(first.Id())).Select(e => e.Event));
        // The channel counted one post, not two.
        Assert.Equal(countBefore + 1, (long)(await alice.GetAsync($"/api/v4/channels/{channelId}")).Expect(200).Json["total_msg_count"]!);

        // The key is the author's: another user's post with the same key is a post of its own.
        var (bob, _, otherChannel) = await ChannelWithTwoMembersAsync();
        var bobs = (await bob.PostAsync("/api/v4/posts", new { ChannelId = otherChannel, Message = "mine", PendingPostId = key })).Expect(201).Json;
        Assert.NotEqual(first.Id(), bobs.Id());
    }

    [Fact]
    public async Task The_same_creates_sent_to_both_nodes_at_once_make_one_post_each()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync();
        var keys = Enumerable.Range(0, 20).Select(i => $"{alice.UserId}:{1_700_000_000_000 + i}").ToList();
        var nodes = new[] { alice, alice.On(cluster.Api2.BaseUrl) };
        var answers = await Task.WhenAll(keys.SelectMany(key => nodes.Select(node =>
            node.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = $"race {key}", PendingPostId = key }))));

        Assert.All(answers, a => a.Expect(201));
        var ids = answers.Select(a => a.Json.Id()).Chunk(2).ToList();
        Assert.All(ids, pair => Assert.Equal(pair[0], pair[1]));
        Assert.Equal(20, ids.Select(pair => pair[0]).Distinct().Count());
        Assert.Equal(20L, await cluster.Cluster.ScalarAsync<long>("SELECT count(*) FROM posts WHERE channel_id = $1 AND type = ''", channelId));
        Assert.Equal(20, (await Log.MentioningAsync(channelId)).Count(e => e.Event == "posted" && (string?)e.Post["type"] == ""));
    }

    [Fact]
    public async Task A_pending_post_id_of_another_shape_is_refused()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync();
        var expect = new Expectations();
        foreach (var bad in new[] { "abc", $"{alice.UserId}", $"{alice.UserId}:", $"{alice.UserId}:12a", $"{alice.UserId}:12345678901234567", "short:123", ":123", $"{alice.UserId}:1:2" })
        {
            await expect.Check($"pending_post_id '{bad}'", alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "x", PendingPostId = bad }), 400);
        }
        expect.Verify();
        Assert.Equal(0L, await cluster.Cluster.ScalarAsync<long>("SELECT count(*) FROM posts WHERE channel_id = $1 AND type = ''", channelId));
        // No key at all is a post like any other, every time.
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "x" })).Expect(201);
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "x", PendingPostId = "" })).Expect(201);
        Assert.Equal(2L, await cluster.Cluster.ScalarAsync<long>("SELECT count(*) FROM posts WHERE channel_id = $1 AND type = ''", channelId));
    }

    [Fact]
    public async Task Repeated_reactions_and_channel_views_are_harmless()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync();
        var post = await alice.CreatePostAsync(channelId, "react to me");
        var reaction = new { bob.UserId, PostId = post.Id(), EmojiName = "tada" };
        var answers = await Task.WhenAll(bob.PostAsync("/api/v4/reactions", reaction), bob.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/reactions", reaction));
        (await bob.PostAsync("/api/v4/reactions", reaction)).Expect(200);
        Assert.All(answers, a => a.Expect(200));
        Assert.Equal(1L, await cluster.Cluster.ScalarAsync<long>("SELECT count(*) FROM reactions WHERE post_id = $1", post.Id()));
        // As in Mattermost, each save announces the reaction again; clients keep one per user and emoji.
        var saved = Assert.Single((await bob.GetAsync($"/api/v4/posts/{post.Id()}/reactions")).Expect(200).Json.AsArray());
        Assert.Equal("tada", (string?)saved!["emoji_name"]);

        var views = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            bob.On(i % 2 == 0 ? cluster.Api1.BaseUrl : cluster.Api2.BaseUrl).PostAsync("/api/v4/channels/members/me/view", new { ChannelId = channelId })));
        Assert.All(views, v => Assert.Equal("OK", (string?)v.Expect(200).Json["status"]));
        var member = (await bob.GetAsync($"/api/v4/channels/{channelId}/members/me")).Expect(200).Json;
        var total = (long)(await bob.GetAsync($"/api/v4/channels/{channelId}")).Expect(200).Json["total_msg_count"]!;
        Assert.Equal(total, (long)member["msg_count"]!);
        Assert.Equal(0L, (long)member["mention_count"]!);
    }

    [Fact]
    public async Task An_upload_sent_again_with_its_client_id_answers_the_first_until_a_post_claims_it()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync();
        var png = TestFiles.Png(20, 10);
        async Task<string> UploadAsync(ServiceProcess node, string clientId) =>
            (await alice.On(node.BaseUrl).UploadAsync(channelId, [clientId], ("dot.png", png))).Expect(201).Json["file_infos"]![0]!.Id();
        Task<long> UploadsAsync() => cluster.Cluster.ScalarAsync<long>("SELECT count(*) FROM file_infos WHERE creator_id = $1 AND channel_id = $2", alice.UserId!, channelId);

        var key = Guid.NewGuid().ToString("N");
        var first = await UploadAsync(cluster.Api1, key);
        Assert.Equal(first, await UploadAsync(cluster.Api2, key));
        Assert.Equal(1L, await UploadsAsync());

        // Sent to both nodes at once: one upload.
        var raced = Guid.NewGuid().ToString("N");
        var both = await Task.WhenAll(UploadAsync(cluster.Api1, raced), UploadAsync(cluster.Api2, raced));
        Assert.Equal(both[0], both[1]);
        Assert.Equal(2L, await UploadsAsync());

        // Once a post claims the file, the id names nothing unattached: the same id is a new upload.
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "with a file", FileIds = new[] { first } })).Expect(201);
        Assert.NotEqual(first, await UploadAsync(cluster.Api2, key));
        Assert.Equal(3L, await UploadsAsync());
    }

    [Fact]
    public async Task Direct_and_group_channels_asked_for_at_once_on_both_nodes_are_one_channel()
    {
        var (alice, bob, _) = await ChannelWithTwoMembersAsync();
        var carol = await cluster.NewUserAsync(cluster.Api2);
        var other = alice.On(cluster.Api2.BaseUrl);

        var direct = await Task.WhenAll(alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId }), other.PostAsync("/api/v4/channels/direct", new[] { bob.UserId, alice.UserId }));
        var directId = direct[0].Expect(201).Json.Id();
        Assert.Equal(directId, direct[1].Expect(201).Json.Id());
        Assert.Single(await Log.MentioningAsync(directId), e => e.Event == "direct_added");

        var group = await Task.WhenAll(alice.PostAsync("/api/v4/channels/group", new[] { bob.UserId, carol.UserId }), other.PostAsync("/api/v4/channels/group", new[] { carol.UserId, bob.UserId }));
        var groupId = group[0].Expect(201).Json.Id();
        Assert.Equal(groupId, group[1].Expect(201).Json.Id());
        Assert.Single(await Log.MentioningAsync(groupId), e => e.Event == "group_added");
    }

    /// <summary>
    /// Four clients post through the edge, each post with its own pending_post_id, while the two api nodes are
    /// SIGKILLed and restarted one after the other. A post in flight on the dying node is retried by the edge on the
    /// other one; the key makes that retry answer the post if the dead node had made it. Every post is answered 201
    /// the first time and is in the database exactly once.
    /// </summary>
    [Fact]
    public async Task Posting_through_the_edge_while_api_nodes_are_SIGKILLed_fails_none_and_duplicates_none()
    {
        await using var nodes = await TestCluster.Create("idempotent_soak").OnServer(cluster.Postgres).WithApi(2).StartingAllAtOnce().WithEdge().StartAsync();
        var edge = nodes.Edge;
        var authors = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => nodes.NewUserAsync(nodes.Api[0])));
        var teamId = await authors[0].CreateTeamAsync();
        await authors[0].AddToTeamAsync(teamId, authors[1..]);
        var channelId = await authors[0].CreateChannelAsync(teamId, "O");
        await authors[0].AddToChannelAsync(channelId, authors[1..]);

        using var load = new PostLoad(edge.BaseUrl, [.. authors], channelId);
        var run = Stopwatch.StartNew();
        await Task.Delay(2000);
        foreach (var victim in nodes.Api)
        {
            victim.Kill();
            output.WriteLine($"{run.Elapsed.TotalSeconds:F1} s: SIGKILLed {victim.Name}");
            await Task.Delay(3000);
            await victim.StartAsync();
            output.WriteLine($"{run.Elapsed.TotalSeconds:F1} s: {victim.Name} ready again");
            // Past the edge's fail_timeout (5 s), so nginx sends it requests again before the next kill.
            await Task.Delay(6000);
        }
        var (acknowledged, failures, duration) = await load.StopAsync();

        var stored = await nodes.ColumnAsync<string>("SELECT pending_post_id FROM posts WHERE channel_id = $1 AND pending_post_id <> ''", channelId);
        var duplicates = stored.GroupBy(k => k).Count(g => g.Count() > 1);
        var lost = acknowledged.Keys.Except(stored).Count();
        output.WriteLine($"posts through the edge while 2 api nodes were SIGKILLed in turn: {acknowledged.Count + failures.Count} sent over {duration.TotalSeconds:F1} s, {failures.Count} failed, {duplicates} duplicated, {lost} acknowledged but missing");
        Assert.True(failures.Count == 0, $"{failures.Count} posts failed through the edge:\n{string.Join('\n', failures.Take(10))}\n{edge.Log}");
        Assert.Equal(0, duplicates);
        Assert.Equal(0, lost);
        Assert.Equal(acknowledged.Count, stored.Count);
        Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} posts were made");
    }

    private static string Key(ApiClient author) => $"{author.UserId}:{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}";

    private async Task<(ApiClient Alice, ApiClient Bob, string ChannelId)> ChannelWithTwoMembersAsync()
    {
        var users = await Task.WhenAll(cluster.NewUserAsync(cluster.Api1), cluster.NewUserAsync(cluster.Api2));
        var (alice, bob) = (users[0], users[1]);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId, "O");
        await alice.AddToChannelAsync(channelId, bob);
        return (alice, bob, channelId);
    }

    /// <summary>Closed-loop posts through the edge, one worker per author, each post keyed; anything but a 201 fails.</summary>
    private sealed class PostLoad : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _workers;
        private readonly ConcurrentDictionary<string, string> _acknowledged = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private readonly Stopwatch _running = Stopwatch.StartNew();

        public PostLoad(string edgeUrl, IReadOnlyList<ApiClient> authors, string channelId)
        {
            _workers = [.. authors.Select(author => Task.Run(async () =>
            {
                var client = author.On(edgeUrl);
                for (var i = 0; !_stop.IsCancellationRequested; i++)
                {
                    var key = $"{author.UserId}:{1_700_000_000_000 + i}";
                    try
                    {
                        var answer = await client.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = $"soak {i}", PendingPostId = key });
                        if (answer.Status == 201)
                        {
                            _acknowledged[key] = answer.Json.Id();
                        }
                        else
                        {
                            _failures.Enqueue(answer.ToString());
                        }
                    }
                    // The cluster's client waits 60 s for an answer: longer than the edge's own timeouts.
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        _failures.Enqueue($"POST {key} → {e.Message}");
                    }
                }
            }))];
        }

        public async Task<(IReadOnlyDictionary<string, string> Acknowledged, IReadOnlyList<string> Failures, TimeSpan Duration)> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
            return (_acknowledged, [.. _failures], _running.Elapsed);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
