using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// A team's default channels and the system posts of joining and leaving; browsing teams and public channels;
/// channels by name; archiving; group messages. Writes go through api-1 and reads through api-2 (or the reverse);
/// the events are read from the outbox.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BrowsingTests(ClusterFixture cluster)
{
    private RecordedEvents Log => new(cluster.DataSource);

    [Fact]
    public async Task A_new_team_has_town_square_and_off_topic_which_its_creator_and_members_join()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var carol = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync("O", allowOpenInvite: true);

        var mine = (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.AsArray();
        Assert.Equal(["off-topic", "town-square"], mine.Select(c => (string?)c!["name"]));
        Assert.Equal(["Off-Topic", "Town Square"], mine.Select(c => (string?)c!["display_name"]));
        Assert.All(mine, c => Assert.Equal("O", (string?)c!["type"]));
        var townSquare = mine.Single(c => (string?)c!["name"] == "town-square")!.Id();
        var offTopic = mine.Single(c => (string?)c!["name"] == "off-topic")!.Id();
        // The creator is a plain member of them; the join posts count in the channels.
        var members = (await alice.GetAsync($"/api/v4/channels/{townSquare}/members")).Expect(200).Json.AsArray();
        Assert.Equal("channel_user", (string?)Assert.Single(members)!["roles"]);
        Assert.All(mine, c => Assert.Equal(1L, (long)c!["total_msg_count"]!));

        // Added to the team in its transaction: added_to_team, then a user_added per default channel.
        var events = (await Log.MentioningAsync(alice.UserId!)).Where(e => e.Event is "added_to_team" or "user_added").ToList();
        Assert.Equal(["added_to_team", "user_added", "user_added"], events.Select(e => e.Event));
        Assert.Equal([$"channel:{townSquare}", $"channel:{offTopic}"], events.Skip(1).Select(e => e.Audience));
        Assert.Equal([$"join_channel {alice.UserId} {townSquare} {teamId}"], events[1].Membership);

        // Bob joins on his own; alice adds carol.
        (await bob.PostAsync($"/api/v4/teams/{teamId}/members", new { TeamId = teamId, bob.UserId })).Expect(201);
        await alice.AddToTeamAsync(teamId, carol);
        var posts = await SystemPostsAsync(bob.On(cluster.Api1.BaseUrl), townSquare);
        Assert.Equal(["system_add_to_team", "system_join_team", "system_join_team"], posts.Select(p => (string?)p["type"]));
        Assert.Equal(bob.Username, (string?)posts[1]["props"]!["username"]);
        Assert.Equal(bob.UserId, (string?)posts[1]["user_id"]);
        var added = posts[0];
        Assert.Equal(alice.UserId, (string?)added["user_id"]);
        Assert.Equal(alice.UserId, (string?)added["props"]!["userId"]);
        Assert.Equal(alice.Username, (string?)added["props"]!["username"]);
        Assert.Equal(carol.UserId, (string?)added["props"]!["addedUserId"]);
        Assert.Equal(carol.Username, (string?)added["props"]!["addedUsername"]);
        Assert.Equal(
            ["system_add_to_channel", "system_join_channel", "system_join_channel"],
            (await SystemPostsAsync(carol, offTopic)).Select(p => (string?)p["type"]));
        Assert.Equal(3L, (long)(await carol.GetAsync($"/api/v4/channels/{townSquare}")).Expect(200).Json["total_msg_count"]!);
        Assert.Equal(3, (await carol.On(cluster.Api1.BaseUrl).GetAsync($"/api/v4/channels/{offTopic}/members")).Expect(200).Json.AsArray().Count);

        // Nobody leaves town-square, nor is removed from it; off-topic may be left.
        var refused = (await bob.DeleteAsync($"/api/v4/channels/{townSquare}/members/{bob.UserId}")).Expect(400).Json;
        Assert.Equal("api.channel.remove.default.app_error", (string?)refused["id"]);
        (await alice.DeleteAsync($"/api/v4/channels/{townSquare}/members/{carol.UserId}")).Expect(400);
        (await bob.DeleteAsync($"/api/v4/channels/{offTopic}/members/{bob.UserId}")).Expect(200);
        (await alice.On(cluster.Api2.BaseUrl).DeleteAsync($"/api/v4/channels/{offTopic}/members/{carol.UserId}")).Expect(200);
        var left = await SystemPostsAsync(alice, offTopic);
        Assert.Equal(["system_remove_from_channel", "system_leave_channel"], left.Take(2).Select(p => (string?)p["type"]));
        Assert.Equal(carol.UserId, (string?)left[0]["props"]!["removedUserId"]);
        Assert.Equal(alice.UserId, (string?)left[0]["user_id"]);
        Assert.Equal(bob.UserId, (string?)left[1]["user_id"]);
        // Each system post is a posted event to the channel, like any post.
        var posted = Assert.Single(await Log.MentioningAsync(left[1].Id()));
        Assert.Equal("posted", posted.Event);
        Assert.Equal($"channel:{offTopic}", posted.Audience);
    }

    [Fact]
    public async Task Users_list_the_teams_anyone_may_join_and_find_teams_by_name()
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var stranger = await cluster.NewUserAsync(cluster.Api2);
        var open = (await owner.PostAsync("/api/v4/teams", new { Name = Unique.TeamName("open"), DisplayName = "Open", Type = "O", AllowOpenInvite = true })).Expect(201).Json;
        var closed = (await owner.PostAsync("/api/v4/teams", new { Name = Unique.TeamName("closed"), DisplayName = "Closed", Type = "I" })).Expect(201).Json;

        async Task<List<JsonNode>> AllTeams(ApiClient who)
        {
            var found = new List<JsonNode>();
            for (var page = 0; ; page++)
            {
                var teams = (await who.GetAsync($"/api/v4/teams?page={page}&per_page=200")).Expect(200).Json.AsArray();
                found.AddRange(teams.Select(t => t!));
                if (teams.Count < 200)
                {
                    return found;
                }
            }
        }

        var listed = await AllTeams(stranger);
        var seen = Assert.Single(listed, t => t.Id() == open.Id());
        Assert.DoesNotContain(listed, t => t.Id() == closed.Id());
        // Not its admin: the invite id and the email are blanked; the owner (team admin) sees them.
        Assert.Equal("", (string?)seen["invite_id"]);
        Assert.Equal(open["invite_id"]!.GetValue<string>(), (string?)(await AllTeams(owner)).Single(t => t.Id() == open.Id())["invite_id"]);
        Assert.Contains(await AllTeams(cluster.Admin.On(cluster.Api2.BaseUrl)), t => t.Id() == closed.Id());

        var counted = (await stranger.On(cluster.Api1.BaseUrl).GetAsync("/api/v4/teams?include_total_count=true&per_page=1")).Expect(200).Json;
        Assert.Single(counted["teams"]!.AsArray());
        Assert.True((long)counted["total_count"]! >= 1);

        var byName = (await stranger.GetAsync($"/api/v4/teams/name/{open["name"]}")).Expect(200).Json;
        Assert.Equal(open.Id(), byName.Id());
        (await stranger.GetAsync($"/api/v4/teams/name/{closed["name"]}")).Expect(403);
        (await owner.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/teams/name/{closed["name"]}")).Expect(200);
        (await stranger.GetAsync($"/api/v4/teams/name/{Unique.TeamName()}")).Expect(404);
        (await stranger.GetAsync("/api/v4/teams?per_page=201")).Expect(400);
    }

    [Fact]
    public async Task Team_members_browse_search_and_join_public_channels()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var outsider = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        var teamName = (string)(await alice.GetAsync($"/api/v4/teams/{teamId}")).Json["name"]!;
        await alice.AddToTeamAsync(teamId, bob);
        var zebra = (await alice.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = Unique.ChannelName("zebra"), DisplayName = "Zebra Crossing", Type = "O" })).Expect(201).Json;
        var apple = (await alice.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = Unique.ChannelName("apple"), DisplayName = "Apple Pie", Type = "O" })).Expect(201).Json;
        var secret = (await alice.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = Unique.ChannelName("secret"), DisplayName = "Apple Secrets", Type = "P" })).Expect(201).Json;

        // Public channels only, by display name, paged; for team members only.
        var listed = (await bob.GetAsync($"/api/v4/teams/{teamId}/channels")).Expect(200).Json.AsArray();
        Assert.Equal(["Apple Pie", "Off-Topic", "Town Square", "Zebra Crossing"], listed.Select(c => (string?)c!["display_name"]));
        Assert.Equal(["Town Square", "Zebra Crossing"], (await bob.GetAsync($"/api/v4/teams/{teamId}/channels?page=1&per_page=2")).Expect(200).Json.AsArray().Select(c => (string?)c!["display_name"]));
        (await outsider.GetAsync($"/api/v4/teams/{teamId}/channels")).Expect(403);

        // Search: every word begins a word of the name or display name.
        async Task<List<string>> Search(string term) =>
            [.. (await bob.On(cluster.Api1.BaseUrl).PostAsync($"/api/v4/teams/{teamId}/channels/search", new { Term = term })).Expect(200).Json.AsArray().Select(c => c!.Id())];
        Assert.Equal([apple.Id()], await Search("app"));
        Assert.Equal([apple.Id()], await Search("PIE apple"));
        Assert.Equal([zebra.Id()], await Search("cross"));
        Assert.Single(await Search("off-top"));
        Assert.Empty(await Search("rossing"));
        (await outsider.PostAsync($"/api/v4/teams/{teamId}/channels/search", new { Term = "app" })).Expect(403);

        // By name: public channels for team members, private ones for their members; the rest is not found.
        Assert.Equal(zebra.Id(), (await bob.GetAsync($"/api/v4/teams/{teamId}/channels/name/{zebra["name"]}")).Expect(200).Json.Id());
        Assert.Equal(zebra.Id(), (await bob.GetAsync($"/api/v4/teams/name/{teamName}/channels/name/{zebra["name"]}")).Expect(200).Json.Id());
        Assert.Equal(secret.Id(), (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/teams/{teamId}/channels/name/{secret["name"]}")).Expect(200).Json.Id());
        var hidden = (await bob.GetAsync($"/api/v4/teams/{teamId}/channels/name/{secret["name"]}")).Expect(404).Json;
        Assert.Equal("app.channel.get_by_name.missing.app_error", (string?)hidden["id"]);
        (await outsider.GetAsync($"/api/v4/teams/{teamId}/channels/name/{zebra["name"]}")).Expect(404);
        (await bob.GetAsync($"/api/v4/teams/{teamId}/channels/name/{Unique.ChannelName()}")).Expect(404);
        (await bob.GetAsync($"/api/v4/teams/{teamId}/channels/name/Not%20A%20Name")).Expect(400);

        // Joining (201, again 201 with the same member), as the web app does after finding it by name.
        var joined = (await bob.PostAsync($"/api/v4/channels/{zebra.Id()}/members", new { bob.UserId, ChannelId = zebra.Id(), PostRootId = "" })).Expect(201).Json;
        Assert.Equal("channel_user", (string?)joined["roles"]);
        Assert.Equal(0L, (long)joined["last_viewed_at"]!);
        var again = (await bob.On(cluster.Api1.BaseUrl).PostAsync($"/api/v4/channels/{zebra.Id()}/members", new { bob.UserId })).Expect(201).Json;
        Assert.Equal(joined["last_update_at"]!.GetValue<long>(), (long)again["last_update_at"]!);
        Assert.Equal(["system_join_channel"], (await SystemPostsAsync(alice, zebra.Id())).Select(p => (string?)p["type"]));
        (await bob.DeleteAsync($"/api/v4/channels/{zebra.Id()}/members/{bob.UserId}")).Expect(200);
        Assert.DoesNotContain(zebra.Id(), (await bob.On(cluster.Api1.BaseUrl).GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.Ids());
    }

    [Fact]
    public async Task Archiving_a_channel_posts_a_notice_records_channel_deleted_and_stops_posting()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var open = (await alice.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = Unique.ChannelName(), DisplayName = "Doomed", Type = "O" })).Expect(201).Json;
        var closed = await alice.CreateChannelAsync(teamId, "P");
        // Posting once through api-2 caches the channel there; the archive through api-1 must reach that cache.
        await alice.On(cluster.Api2.BaseUrl).CreatePostAsync(open.Id(), "last words");

        // Members archive (bob is not one yet); town-square and direct channels are never archived.
        (await bob.DeleteAsync($"/api/v4/channels/{open.Id()}")).Expect(403);
        var townSquare = (await alice.GetAsync($"/api/v4/teams/{teamId}/channels/name/town-square")).Expect(200).Json.Id();
        Assert.Equal("api.channel.delete_channel.cannot.app_error", (string?)(await alice.DeleteAsync($"/api/v4/channels/{townSquare}")).Expect(400).Json["id"]);
        var direct = (await alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId })).Expect(201).Json.Id();
        (await alice.DeleteAsync($"/api/v4/channels/{direct}")).Expect(400);

        Assert.Equal("OK", (string?)(await alice.DeleteAsync($"/api/v4/channels/{open.Id()}")).Expect(200).Json["status"]);
        (await alice.DeleteAsync($"/api/v4/channels/{closed}")).Expect(200);
        (await alice.DeleteAsync($"/api/v4/channels/{open.Id()}")).Expect(400);

        var events = (await Log.MentioningAsync(open.Id())).Where(e => e.Event is "channel_deleted" or "posted").ToList();
        Assert.Equal(["posted", "posted", "channel_deleted"], events.Select(e => e.Event));
        Assert.Equal("system_channel_deleted", (string?)events[1].Post["type"]);
        Assert.Equal(alice.Username, (string?)events[1].Post["props"]!["username"]);
        var deleted = events[2];
        Assert.Equal($"team:{teamId}", deleted.Audience);
        Assert.Equal(open.Id(), (string?)deleted.Data["channel_id"]);
        Assert.True((long)deleted.Data["delete_at"]! > 0);
        Assert.Empty(deleted.Membership);
        Assert.Equal($"channel:{closed}", Assert.Single(await Log.MentioningAsync(closed), e => e.Event == "channel_deleted").Audience);

        // Archived: no posts (on the archiving node at once, on the other once its cache hears of it, within a second),
        // no joining, gone from the lists; found by name only with include_deleted.
        var refused = (await alice.PostAsync("/api/v4/posts", new { ChannelId = open.Id(), Message = "too late" })).Expect(400).Json;
        Assert.Equal("api.post.create_post.can_not_post_to_deleted.error", (string?)refused["id"]);
        await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(1), async () =>
            (await alice.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/posts", new { ChannelId = open.Id(), Message = "too late" })).Status == 400);
        (await bob.PostAsync($"/api/v4/channels/{open.Id()}/members", new { bob.UserId })).Expect(400);
        Assert.DoesNotContain(open.Id(), (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.Ids());
        Assert.DoesNotContain(open.Id(), (await bob.GetAsync($"/api/v4/teams/{teamId}/channels")).Expect(200).Json.Ids());
        (await bob.GetAsync($"/api/v4/teams/{teamId}/channels/name/{open["name"]}")).Expect(404);
        var archived = (await bob.GetAsync($"/api/v4/teams/{teamId}/channels/name/{open["name"]}?include_deleted=true")).Expect(200).Json;
        Assert.Equal(deleted.Data["delete_at"]!.GetValue<long>(), (long)archived["delete_at"]!);
    }

    [Fact]
    public async Task Group_messages_are_found_again_by_their_members()
    {
        var users = await Task.WhenAll(cluster.NewUserAsync(cluster.Api1), cluster.NewUserAsync(cluster.Api2), cluster.NewUserAsync(cluster.Api1));
        var (alice, bob, carol) = (users[0], users[1], users[2]);
        var ids = users.Select(u => u.UserId!).Order(StringComparer.Ordinal).ToList();

        // The caller is added to the users named.
        var created = (await alice.PostAsync("/api/v4/channels/group", new[] { bob.UserId, carol.UserId })).Expect(201).Json;
        var groupId = created.Id();
        Assert.Equal("G", (string?)created["type"]);
        Assert.Equal("", (string?)created["team_id"]);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(ids)))), (string?)created["name"]);
        Assert.Equal(string.Join(", ", users.Select(u => u.Username!).Order(StringComparer.Ordinal)), (string?)created["display_name"]);

        // Asked for again, in any order and through the other node, it is the same channel.
        var again = (await carol.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/channels/group", new[] { alice.UserId, carol.UserId, bob.UserId })).Expect(201).Json;
        Assert.Equal(groupId, again.Id());
        var added = Assert.Single(await Log.MentioningAsync(groupId));
        Assert.Equal("group_added", added.Event);
        Assert.Equal($"channel:{groupId}", added.Audience);
        Assert.Equal(ids, JsonNode.Parse((string)added.Data["teammate_ids"]!)!.AsArray().Select(n => (string)n!).Order(StringComparer.Ordinal));
        Assert.Equal(ids.Select(u => $"join_channel {u} {groupId} ").Order(), added.Membership.Order());

        // Its members list it with every team's channels and post in it; they are plain channel users.
        var teamId = await bob.CreateTeamAsync();
        Assert.Contains(groupId, (await bob.On(cluster.Api1.BaseUrl).GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.Ids());
        await carol.CreatePostAsync(groupId, "hello, group");
        var members = (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/channels/{groupId}/members")).Expect(200).Json.AsArray();
        Assert.Equal(ids, members.Select(m => (string)m!["user_id"]!).Order(StringComparer.Ordinal));
        Assert.All(members, m => Assert.Equal("channel_user", (string?)m!["roles"]));
        (await alice.PostAsync($"/api/v4/channels/{groupId}/members", new { UserId = alice.UserId })).Expect(400);

        var expect = new Expectations();
        var stranger = await cluster.NewUserAsync(cluster.Api2);
        await expect.Check("two users", alice.PostAsync("/api/v4/channels/group", new[] { bob.UserId }), 400);
        await expect.Check("nine users", alice.PostAsync("/api/v4/channels/group", Enumerable.Range(0, 8).Select(_ => Unique.Suffix().PadRight(26, 'g')).ToArray()), 400);
        await expect.Check("an unknown user", alice.PostAsync("/api/v4/channels/group", new[] { bob.UserId, Unique.Suffix().PadRight(26, 'u') }), 400);
        await expect.Check("a bad id", alice.PostAsync("/api/v4/channels/group", new[] { bob.UserId, "nope" }), 400);
        await expect.Check("no body", alice.PostAsync("/api/v4/channels/group", Array.Empty<string>()), 400);
        await expect.Check("not a member", stranger.GetAsync($"/api/v4/channels/{groupId}"), 403);
        expect.Verify();
    }

    /// <summary>The channel's system posts, newest first.</summary>
    private static async Task<List<JsonNode>> SystemPostsAsync(ApiClient reader, string channelId)
    {
        var list = (await reader.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json;
        return [.. list.Order().Select(id => list["posts"]![id]!).Where(p => ((string?)p["type"] ?? "").StartsWith("system_", StringComparison.Ordinal))];
    }
}
