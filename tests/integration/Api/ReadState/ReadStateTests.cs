using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// Read state and mentions: every post raises its channel's counters and its mentioned members' counts in its own
/// transaction, exactly, however many api nodes post at once; viewing a channel reads it; the lists the web app
/// loads its sidebar and team badges from.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadStateTests(ClusterFixture cluster)
{
    private const int Posts = 200;

    [Fact]
    public async Task Concurrent_posts_from_both_nodes_count_every_members_mentions_exactly()
    {
        // alice and dave post; bob and carol only read. The posters ignore channel mentions and nobody names them,
        // so every count below is exact whatever order the nodes commit in.
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var bob = await cluster.NewUserAsync(cluster.Api2, "bob");
        var carol = await cluster.NewUserAsync(cluster.Api1, "carol");
        var dave = await cluster.NewUserAsync(cluster.Api2, "dave");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob, carol, dave);
        var town = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(town, bob, carol, dave);
        // The joins' system posts (and the mention that adding someone is) are taken out, so every count below is the
        // concurrent posts' alone.
        await SqlAsync($"DELETE FROM posts WHERE type LIKE 'system_%' AND channel_id IN (SELECT id FROM channels WHERE team_id = '{teamId}')");
        await SqlAsync($"UPDATE channels SET total_msg_count = 0, total_msg_count_root = 0, last_post_at = 0, last_root_post_at = 0 WHERE team_id = '{teamId}'");
        await SqlAsync($"UPDATE channel_members SET msg_count = 0, msg_count_root = 0, mention_count = 0, mention_count_root = 0, urgent_mention_count = 0, last_viewed_at = 0 WHERE channel_id IN (SELECT id FROM channels WHERE team_id = '{teamId}')");
        var dm = (await alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId })).Expect(201).Json.Id();
        await SqlAsync($"UPDATE channel_members SET notify_props = notify_props || '{{\"ignore_channel_mentions\":\"on\"}}' WHERE channel_id = '{town}' AND user_id IN ('{alice.UserId}', '{dave.UserId}')");
        // bob takes no channel mentions; carol is also mentioned by the word "deploy".
        await SqlAsync($"UPDATE users SET notify_props = '{{\"channel\":\"false\"}}' WHERE id = '{bob.UserId}'");
        await SqlAsync($"UPDATE users SET notify_props = '{{\"channel\":\"true\",\"mention_keys\":\"deploy,release\"}}' WHERE id = '{carol.UserId}'");
        // carol is online, so @here mentions her too.
        (await carol.PutAsync("/api/v4/users/me/status", new { carol.UserId, Status = "online" })).Expect(200);
        var root = await alice.CreatePostAsync(town, "the thread everyone replies to");

        var plan = Enumerable.Range(0, Posts).Select(i => (i % 8) switch
        {
            0 => new Planned(alice, dm, $"direct {i}", Bob: true),
            1 => new Planned(dave, town, $"@{bob.Username} look at {i}", Bob: true),
            2 => new Planned(alice, town, $"@channel news {i}", Carol: true),
            3 => new Planned(dave, town, $"the deploy {i} is done, @{bob.Username}.", Bob: true, Carol: true),
            4 => new Planned(alice, town, $"@{bob.Username!.ToUpperInvariant()}: and @{bob.Username} again {i}", Bob: true, RootId: root.Id()),
            5 => new Planned(dave, town, $"@here nothing for `@{bob.Username}` {i}", Carol: true),
            6 => new Planned(dave, town, $"@all: Release {i}", Carol: true, RootId: root.Id()),
            _ => new Planned(alice, town, $"mail@{bob.Username}.com or {bob.Username} or @{bob.Username}x {i}"),
        }).ToList();
        var created = new JsonNode[Posts];
        await Parallel.ForEachAsync(Enumerable.Range(0, Posts), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var p = plan[i];
            var node = i % 2 == 0 ? cluster.Api1 : cluster.Api2;
            created[i] = (await p.Author.On(node.BaseUrl).PostAsync("/api/v4/posts", new { ChannelId = p.ChannelId, Message = p.Message, p.RootId })).Expect(201).Json;
        });

        var inTown = plan.Select((p, i) => (p, post: created[i])).Where(x => x.p.ChannelId == town).ToList();
        var inDm = plan.Select((p, i) => (p, post: created[i])).Where(x => x.p.ChannelId == dm).ToList();
        var townChannel = (await bob.GetAsync($"/api/v4/channels/{town}")).Expect(200).Json;
        Assert.Equal(1 + inTown.Count, (long)townChannel["total_msg_count"]!);
        Assert.Equal(1 + inTown.Count(x => x.p.RootId is null), (long)townChannel["total_msg_count_root"]!);
        Assert.Equal(inTown.Max(x => (long)x.post["create_at"]!), (long)townChannel["last_post_at"]!);
        Assert.Equal(inTown.Where(x => x.p.RootId is null).Max(x => (long)x.post["create_at"]!), (long)townChannel["last_root_post_at"]!);
        var dmChannel = (await bob.GetAsync($"/api/v4/channels/{dm}")).Expect(200).Json;
        Assert.Equal(inDm.Count, (long)dmChannel["total_msg_count"]!);

        async Task AssertReader(ApiClient reader, Func<Planned, bool> mentions)
        {
            var member = (await reader.GetAsync($"/api/v4/channels/{town}/members/me")).Expect(200).Json;
            Assert.Equal(inTown.Count(x => mentions(x.p)), (long)member["mention_count"]!);
            Assert.Equal(inTown.Count(x => mentions(x.p) && x.p.RootId is null), (long)member["mention_count_root"]!);
            Assert.Equal(0L, (long)member["urgent_mention_count"]!);
            Assert.Equal(0L, (long)member["msg_count"]!);
            Assert.Equal(0L, (long)member["last_viewed_at"]!);
        }
        await AssertReader(bob, p => p.Bob);
        await AssertReader(carol, p => p.Carol);
        var bobInDm = (await bob.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/channels/{dm}/members/me")).Expect(200).Json;
        Assert.Equal(inDm.Count, (long)bobInDm["mention_count"]!);
        Assert.Equal(inDm.Count, (long)bobInDm["mention_count_root"]!);

        // Posting marked the channel read for its authors, up to their own last post.
        foreach (var (author, channel) in new[] { (alice, town), (dave, town), (alice, dm) })
        {
            var member = (await author.GetAsync($"/api/v4/channels/{channel}/members/me")).Expect(200).Json;
            var own = plan.Select((p, i) => (p, post: created[i])).Where(x => x.p.Author == author && x.p.ChannelId == channel).ToList();
            var total = channel == town ? 1 + inTown.Count : inDm.Count;
            Assert.Equal(0L, (long)member["mention_count"]!);
            Assert.Equal(own.Max(x => (long)x.post["create_at"]!), (long)member["last_viewed_at"]!);
            Assert.InRange((long)member["msg_count"]!, own.Count, total);
        }

        // The team's badge: bob's unread messages and mentions of the team's channels (not of the direct channel).
        var unread = (await bob.GetAsync("/api/v4/users/me/teams/unread?include_collapsed_threads=false")).Expect(200).Json.AsArray().Single(t => (string?)t!["team_id"] == teamId)!;
        Assert.Equal(1 + inTown.Count, (long)unread["msg_count"]!);
        Assert.Equal(1 + inTown.Count(x => x.p.RootId is null), (long)unread["msg_count_root"]!);
        Assert.Equal(inTown.Count(x => x.p.Bob), (long)unread["mention_count"]!);
        Assert.Equal(0L, (long)unread["thread_count"]!);

        // Viewing the channel (and the one left) reads everything in them and tells bob's other sessions.
        var events = new RecordedEvents(cluster.DataSource);
        var position = await events.PositionAsync();
        var viewed = (await bob.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/channels/members/me/view", new { ChannelId = town, PrevChannelId = dm, CollapsedThreadsSupported = true })).Expect(200).Json;
        Assert.Equal("OK", (string?)viewed["status"]);
        Assert.Equal((long)townChannel["last_post_at"]!, (long)viewed["last_viewed_at_times"]![town]!);
        Assert.Equal((long)dmChannel["last_post_at"]!, (long)viewed["last_viewed_at_times"]![dm]!);
        var read = (await bob.GetAsync($"/api/v4/channels/{town}/members/me")).Expect(200).Json;
        Assert.Equal(1L + inTown.Count, (long)read["msg_count"]!);
        Assert.Equal(1L + inTown.Count(x => x.p.RootId is null), (long)read["msg_count_root"]!);
        Assert.Equal(0L, (long)read["mention_count"]!);
        Assert.Equal(0L, (long)read["mention_count_root"]!);
        Assert.Equal(0L, (long)(await bob.GetAsync($"/api/v4/channels/{dm}/members/me")).Expect(200).Json["mention_count"]!);
        var cleared = (await bob.GetAsync("/api/v4/users/me/teams/unread")).Expect(200).Json.AsArray().Single(t => (string?)t!["team_id"] == teamId)!;
        Assert.Equal(0L, (long)cleared["msg_count"]!);
        Assert.Equal(0L, (long)cleared["mention_count"]!);
        var sent = (await events.MentioningAsync(bob.UserId!, position)).Single(e => e.Event == "multiple_channels_viewed");
        Assert.Equal(bob.UserId, (string?)sent.Broadcast["user_id"]);
        Assert.Equal(new[] { dm, town }.Order(StringComparer.Ordinal), sent.Data["channel_times"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_posted_event_records_whom_it_mentions_and_the_author_gets_multiple_channels_viewed()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var bob = await cluster.NewUserAsync(cluster.Api2, "bob");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var town = await alice.CreateChannelAsync(teamId);
        await alice.AddToChannelAsync(town, bob);
        var events = new RecordedEvents(cluster.DataSource);
        var position = await events.PositionAsync();

        var post = await alice.CreatePostAsync(town, $"@{alice.Username} and @{bob.Username}, see this");
        var recorded = await events.MentioningAsync(town, position);
        Assert.Equal(["multiple_channels_viewed", "posted"], recorded.Select(e => e.Event));
        Assert.Equal(alice.UserId, (string?)recorded[0].Broadcast["user_id"]);
        Assert.Equal((long)post["create_at"]!, (long)recorded[0].Data["channel_times"]![town]!);
        Assert.Equal([bob.UserId], recorded[1].Message["mentions"]!.AsArray().Select(n => (string?)n));
        Assert.Null(recorded[1].Data["mentions"]);
    }

    [Fact]
    public async Task Members_and_channels_of_a_user_across_teams_with_direct_channels()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var bob = await cluster.NewUserAsync(cluster.Api2, "bob");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var town = await alice.CreateChannelAsync(teamId);
        var dm = (await alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId })).Expect(201).Json.Id();

        var mine = (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/users/me/teams/{teamId}/channels/members")).Expect(200).Json.AsArray();
        // The team's town-square and off-topic, which every member joins, besides the channel and the direct channel.
        var defaults = (await alice.GetAsync($"/api/v4/teams/{teamId}/channels?per_page=200")).Expect(200).Json.AsArray()
            .Where(c => (string?)c!["name"] is "town-square" or "off-topic").Select(c => (string)c!["id"]!).ToList();
        Assert.Equal(new[] { dm, town }.Concat(defaults).Order(StringComparer.Ordinal), mine.Select(m => (string)m!["channel_id"]!).Order(StringComparer.Ordinal));
        var creator = mine.Single(m => (string?)m!["channel_id"] == town)!;
        Assert.Equal("channel_user channel_admin", (string?)creator["roles"]);
        Assert.Equal("", (string?)creator["explicit_roles"]);
        Assert.True((bool)creator["scheme_user"]!);
        Assert.Equal("all", (string?)creator["notify_props"]!["mark_unread"]);
        Assert.Equal("default", (string?)creator["notify_props"]!["ignore_channel_mentions"]);
        Assert.True((long)creator["last_update_at"]! > 0);
        Assert.Equal("channel_user", (string?)mine.Single(m => (string?)m!["channel_id"] == dm)!["roles"]);
        (await bob.GetAsync($"/api/v4/users/{alice.UserId}/teams/{teamId}/channels/members")).Expect(403);

        var channels = (await alice.GetAsync("/api/v4/users/me/channels")).Expect(200).Json.AsArray();
        Assert.Equal(new[] { dm, town }.Concat(defaults).Order(StringComparer.Ordinal), channels.Select(c => (string)c!["id"]!).Order(StringComparer.Ordinal));
        var listed = channels.Single(c => (string?)c!["id"] == town)!;
        Assert.Equal(0L, (long)listed["total_msg_count_root"]!);
        Assert.Null(listed["scheme_id"]);
        Assert.True(listed.AsObject().ContainsKey("policy_id"));
        Assert.Contains(dm, (await alice.GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.Ids());

        var withTeams = (await alice.GetAsync($"/api/v4/users/{alice.UserId}/channel_members?page=0&per_page=60")).Expect(200).Json.AsArray();
        Assert.Equal("Test team", (string?)withTeams.Single(m => (string?)m!["channel_id"] == town)!["team_display_name"]);
        Assert.Equal("", (string?)withTeams.Single(m => (string?)m!["channel_id"] == dm)!["team_name"]);
        var stream = await alice.GetAsync("/api/v4/users/me/channel_members?page=-1");
        Assert.Equal(200, stream.Status);
        Assert.Equal("application/x-ndjson", stream.ContentHeaders.ContentType?.MediaType);
        Assert.Equal(2 + defaults.Count, stream.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!["channel_id"]).Count());
        (await bob.GetAsync($"/api/v4/users/{alice.UserId}/channel_members")).Expect(403);

        var teamMembers = (await bob.GetAsync("/api/v4/users/me/teams/members")).Expect(200).Json.AsArray();
        var teamMember = teamMembers.Single(m => (string?)m!["team_id"] == teamId)!;
        Assert.Equal("team_user", (string?)teamMember["roles"]);
        Assert.Equal(0L, (long)teamMember["delete_at"]!);
        Assert.True((long)teamMember["create_at"]! > 0);
        Assert.Equal("", (string?)teamMember["explicit_roles"]);
        (await alice.GetAsync($"/api/v4/users/{bob.UserId}/teams/members")).Expect(403);
        Assert.Single((await cluster.Admin.GetAsync($"/api/v4/users/{bob.UserId}/teams/members")).Expect(200).Json.AsArray());
        Assert.Empty((await bob.GetAsync($"/api/v4/users/me/teams/unread?exclude_team={teamId}")).Expect(200).Json.AsArray());
        (await bob.GetAsync("/api/v4/users/me/teams/unread?exclude_team=nope")).Expect(400);
    }

    [Fact]
    public async Task A_channel_member_is_read_by_members_without_another_users_view_times()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var bob = await cluster.NewUserAsync(cluster.Api2, "bob");
        var stranger = await cluster.NewUserAsync(cluster.Api2, "stranger");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var secret = await alice.CreateChannelAsync(teamId, "P");
        await alice.AddToChannelAsync(secret, bob);
        await alice.CreatePostAsync(secret, "hello");

        var own = (await alice.GetAsync($"/api/v4/channels/{secret}/members/me")).Expect(200).Json;
        Assert.True((long)own["last_viewed_at"]! > 0);
        var other = (await bob.GetAsync($"/api/v4/channels/{secret}/members/{alice.UserId}")).Expect(200).Json.AsObject();
        Assert.Equal(alice.UserId, (string?)other["user_id"]);
        Assert.False(other.ContainsKey("last_viewed_at"));
        Assert.False(other.ContainsKey("last_update_at"));
        (await stranger.GetAsync($"/api/v4/channels/{secret}/members/{alice.UserId}")).Expect(403);
        Assert.Equal("app.channel.get_member.missing.app_error",
            (string?)(await alice.GetAsync($"/api/v4/channels/{secret}/members/{stranger.UserId}")).Expect(404).Json["id"]);

        // Views: focus loss (no channel) is fine, bad ids are not, other users' views are for admins.
        Assert.Empty((await bob.PostAsync("/api/v4/channels/members/me/view", new { ChannelId = "" })).Expect(200).Json["last_viewed_at_times"]!.AsObject());
        (await bob.PostAsync("/api/v4/channels/members/me/view", new { ChannelId = "nope" })).Expect(400);
        (await bob.PostAsync($"/api/v4/channels/members/{alice.UserId}/view", new { ChannelId = secret })).Expect(403);
        Assert.Empty((await stranger.PostAsync("/api/v4/channels/members/me/view", new { ChannelId = secret })).Expect(200).Json["last_viewed_at_times"]!.AsObject());
    }

    private async Task SqlAsync(string sql)
    {
        await using var command = cluster.Database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record Planned(ApiClient Author, string ChannelId, string Message, bool Bob = false, bool Carol = false, string? RootId = null);
}
