namespace Chat.IntegrationTests;

/// <summary>Teams, their members, and public, private and direct channels across both api nodes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TeamsAndChannelsTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Teams_and_their_members_are_the_same_on_every_node()
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var member = await cluster.NewUserAsync(cluster.Api2);
        var name = Unique.TeamName();
        var team = (await owner.PostAsync("/api/v4/teams", new { Name = name, DisplayName = "Rocket Science", Type = "I", Description = "rockets" })).Expect(201).Json;
        var teamId = team.Id();
        Assert.Equal(26, teamId.Length);
        Assert.Equal(name, (string?)team["name"]);
        Assert.Equal("I", (string?)team["type"]);

        var onOther = owner.On(cluster.Api2.BaseUrl);
        Assert.Equal("Rocket Science", (string?)(await onOther.GetAsync($"/api/v4/teams/{teamId}")).Expect(200).Json["display_name"]);
        Assert.Contains(teamId, (await onOther.GetAsync("/api/v4/users/me/teams")).Expect(200).Json.Ids());

        var added = (await onOther.PostAsync($"/api/v4/teams/{teamId}/members", new { TeamId = teamId, member.UserId })).Expect(201).Json;
        Assert.Equal("team_user", (string?)added["roles"]);
        // Adding again is harmless.
        (await owner.PostAsync($"/api/v4/teams/{teamId}/members", new { member.UserId })).Expect(201);

        var members = (await member.GetAsync($"/api/v4/teams/{teamId}/members")).Expect(200).Json.AsArray();
        Assert.Equal(2, members.Count);
        Assert.Equal("team_user team_admin", (string?)members.Single(m => (string?)m!["user_id"] == owner.UserId)!["roles"]);
        Assert.Contains(teamId, (await member.GetAsync("/api/v4/users/me/teams")).Expect(200).Json.Ids());
        Assert.Single((await member.GetAsync($"/api/v4/teams/{teamId}/members?page=1&per_page=1")).Expect(200).Json.AsArray());

        // Same name again is refused; the owner removes the member; removing a non-member is a 404.
        Assert.Equal("store.sql_team.save_team.existing.app_error",
            (string?)(await member.PostAsync("/api/v4/teams", new { Name = name, DisplayName = "Copy" })).Expect(400).Json["id"]);
        (await owner.DeleteAsync($"/api/v4/teams/{teamId}/members/{member.UserId}")).Expect(200);
        (await member.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/teams/{teamId}")).Expect(403);
        (await owner.DeleteAsync($"/api/v4/teams/{teamId}/members/{member.UserId}")).Expect(404);
    }

    [Fact]
    public async Task Anyone_may_join_an_open_team_but_not_an_invite_only_one()
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var stranger = await cluster.NewUserAsync(cluster.Api2);
        var open = await owner.CreateTeamAsync("O", allowOpenInvite: true);
        var closed = await owner.CreateTeamAsync("I");
        (await stranger.GetAsync($"/api/v4/teams/{open}")).Expect(200);
        (await stranger.PostAsync($"/api/v4/teams/{open}/members", new { TeamId = open, stranger.UserId })).Expect(201);
        (await stranger.GetAsync($"/api/v4/teams/{closed}")).Expect(403);
        (await stranger.PostAsync($"/api/v4/teams/{closed}/members", new { TeamId = closed, stranger.UserId })).Expect(403);
        // A member leaves on their own.
        (await stranger.DeleteAsync($"/api/v4/teams/{open}/members/{stranger.UserId}")).Expect(200);
        Assert.DoesNotContain(open, (await stranger.GetAsync("/api/v4/users/me/teams")).Expect(200).Json.Ids());
    }

    [Fact]
    public async Task Public_and_private_channels_with_their_members()
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var member = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await owner.CreateTeamAsync();
        await owner.AddToTeamAsync(teamId, member);

        var name = Unique.ChannelName();
        var created = (await owner.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = name, DisplayName = "Town Square", Type = "O", Purpose = "talk", Header = "hi" })).Expect(201).Json;
        var publicId = created.Id();
        Assert.Equal("O", (string?)created["type"]);
        Assert.Equal(teamId, (string?)created["team_id"]);
        Assert.Equal(owner.UserId, (string?)created["creator_id"]);
        var privateId = await owner.CreateChannelAsync(teamId, "P");

        var onOther = owner.On(cluster.Api2.BaseUrl);
        Assert.Equal(name, (string?)(await onOther.GetAsync($"/api/v4/channels/{publicId}")).Expect(200).Json["name"]);
        Assert.Equal("P", (string?)(await onOther.GetAsync($"/api/v4/channels/{privateId}")).Expect(200).Json["type"]);
        var mine = (await onOther.GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.Ids();
        Assert.Contains(publicId, mine);
        Assert.Contains(privateId, mine);

        // The team member sees the public channel but neither lists nor reads the private one until added.
        (await member.GetAsync($"/api/v4/channels/{publicId}")).Expect(200);
        (await member.GetAsync($"/api/v4/channels/{privateId}")).Expect(403);
        var defaults = (await member.GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.AsArray();
        Assert.Equal(["off-topic", "town-square"], defaults.Select(c => (string?)c!["name"]));
        (await member.PostAsync($"/api/v4/channels/{publicId}/members", new { member.UserId })).Expect(201);
        var joined = (await owner.PostAsync($"/api/v4/channels/{privateId}/members", new { member.UserId })).Expect(201).Json;
        Assert.Equal("channel_user", (string?)joined["roles"]);
        Assert.Equal(defaults.Count + 2, (await member.GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.AsArray().Count);

        var members = (await member.On(cluster.Api1.BaseUrl).GetAsync($"/api/v4/channels/{privateId}/members")).Expect(200).Json.AsArray();
        Assert.Equal(new[] { owner.UserId, member.UserId }.Order(), members.Select(m => (string?)m!["user_id"]).Order());
        Assert.Equal("channel_user channel_admin", (string?)members.Single(m => (string?)m!["user_id"] == owner.UserId)!["roles"]);

        // Same name in the same team is refused; members leave; removing a non-member is a 404.
        (await owner.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = name, DisplayName = "Again" })).Expect(400);
        (await member.DeleteAsync($"/api/v4/channels/{privateId}/members/{member.UserId}")).Expect(200);
        (await member.GetAsync($"/api/v4/channels/{privateId}")).Expect(403);
        (await owner.DeleteAsync($"/api/v4/channels/{privateId}/members/{member.UserId}")).Expect(404);

        // Leaving the team leaves its channels.
        (await member.DeleteAsync($"/api/v4/teams/{teamId}/members/{member.UserId}")).Expect(200);
        Assert.DoesNotContain((await owner.GetAsync($"/api/v4/channels/{publicId}/members")).Expect(200).Json.AsArray(), m => (string?)m!["user_id"] == member.UserId);
    }

    [Fact]
    public async Task A_user_outside_the_team_cannot_be_added_to_its_channels()
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var outsider = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await owner.CreateTeamAsync();
        var channelId = await owner.CreateChannelAsync(teamId, "P");
        (await owner.PostAsync($"/api/v4/channels/{channelId}/members", new { outsider.UserId })).Expect(400);
        (await owner.PostAsync($"/api/v4/channels/{channelId}/members", new { UserId = Unique.Suffix().PadRight(26, 'x') })).Expect(404);
    }

    [Fact]
    public async Task Direct_channels_are_shared_by_exactly_their_two_users()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var carol = await cluster.NewUserAsync(cluster.Api2);

        // Both nodes at once agree on one channel.
        var created = await Task.WhenAll(
            alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId }),
            bob.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId }));
        var channel = created[0].Expect(201).Json;
        var channelId = channel.Id();
        Assert.Equal(channelId, created[1].Expect(201).Json.Id());
        Assert.Equal("D", (string?)channel["type"]);
        Assert.Equal("", (string?)channel["team_id"]);
        Assert.Equal(string.Join("__", new[] { alice.UserId, bob.UserId }.Order(StringComparer.Ordinal)), (string?)channel["name"]);
        Assert.Equal(channelId, (await bob.PostAsync("/api/v4/channels/direct", new[] { bob.UserId, alice.UserId })).Expect(201).Json.Id());

        await alice.CreatePostAsync(channelId, "hi bob");
        await bob.On(cluster.Api1.BaseUrl).CreatePostAsync(channelId, "hi alice");
        Assert.Equal(2, (await bob.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json.Order().Count);
        (await carol.GetAsync($"/api/v4/channels/{channelId}")).Expect(403);
        (await carol.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(403);
        (await carol.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "let me in" })).Expect(403);
        (await carol.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId })).Expect(403);

        // Direct channels show up in every team's channel list of their members, and have fixed members.
        var teamId = await alice.CreateTeamAsync();
        Assert.Contains(channelId, (await alice.GetAsync($"/api/v4/users/me/teams/{teamId}/channels")).Expect(200).Json.Ids());
        (await alice.PostAsync($"/api/v4/channels/{channelId}/members", new { carol.UserId })).Expect(400);
        (await alice.DeleteAsync($"/api/v4/channels/{channelId}/members/{bob.UserId}")).Expect(400);

        // A direct channel with oneself is allowed, as in Mattermost.
        var self = (await carol.PostAsync("/api/v4/channels/direct", new[] { carol.UserId, carol.UserId })).Expect(201).Json;
        Assert.Equal($"{carol.UserId}__{carol.UserId}", (string?)self["name"]);
    }
}
