using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// GET /users with its filters, GET /users/autocomplete and POST /users/search: who may ask for what, what matches,
/// and that users come out sanitised. Users are written through one api node and looked up through the other.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UserSearchTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Users_are_listed_by_team_and_channel_membership()
    {
        var (_, alice, bob, carol, teamId, channelId) = await TeamWithChannelAsync("O");
        var outsider = await cluster.NewUserAsync(cluster.Api1, "out");
        var reader = bob.On(cluster.Api1.BaseUrl);

        async Task<List<string?>> Usernames(ApiClient who, string query) =>
            [.. (await who.GetAsync($"/api/v4/users?{query}")).Expect(200).Json.AsArray().Select(u => (string?)u!["username"])];
        // Every page, for filters that other tests' users pass too.
        async Task<List<string?>> AllUsernames(ApiClient who, string query)
        {
            var all = new List<string?>();
            for (var page = 0; ; page++)
            {
                var found = await Usernames(who, $"{query}&page={page}&per_page=200");
                all.AddRange(found);
                if (found.Count < 200)
                {
                    return all;
                }
            }
        }

        // The web app's getProfilesInChannel: ?in_channel=&page=0&per_page=100&sort= — the channel's members only.
        Assert.Equal(Names(alice, bob), await Usernames(reader, $"in_channel={channelId}&page=0&per_page=100&sort="));
        Assert.Equal(Names(alice, bob, carol), await Usernames(reader, $"in_team={teamId}&per_page=200"));
        Assert.Equal(Names(carol), await Usernames(reader, $"in_team={teamId}&not_in_channel={channelId}"));
        var notInTeam = await AllUsernames(reader, $"not_in_team={teamId}");
        Assert.Contains(outsider.Username, notInTeam);
        Assert.DoesNotContain(alice.Username, notInTeam);
        // Channel admins first; newest account first.
        Assert.Equal(alice.Username, (await Usernames(reader, $"in_channel={channelId}&sort=admin"))[0]);
        Assert.Equal(carol.Username, (await Usernames(reader, $"in_team={teamId}&sort=create_at"))[0]);
        Assert.Equal(Names(alice), await Usernames(reader, $"in_channel={channelId}&per_page=1"));
        Assert.Equal(Names(bob), await Usernames(reader, $"in_channel={channelId}&page=1&per_page=1"));

        var listed = (await reader.GetAsync($"/api/v4/users?in_team={teamId}")).Expect(200).Json.AsArray();
        Assert.All(listed, u => Assert.Null(u!["password"]));
        Assert.All(listed.Where(u => u!.Id() != bob.UserId), u => Assert.Empty(u!["notify_props"]!.AsObject()));

        var expect = new Expectations();
        await expect.Check("in a channel one may not read", outsider.GetAsync($"/api/v4/users?in_channel={channelId}"), 403);
        await expect.Check("in a team one is not in", outsider.GetAsync($"/api/v4/users?in_team={teamId}"), 403);
        await expect.Check("not in a team one is not in", outsider.GetAsync($"/api/v4/users?not_in_team={teamId}"), 403);
        await expect.Check("without a team, not an admin", outsider.GetAsync("/api/v4/users?without_team=true"), 403);
        await expect.Check("not_in_channel without in_team", reader.GetAsync($"/api/v4/users?not_in_channel={channelId}"), 400);
        await expect.Check("active and inactive", reader.GetAsync("/api/v4/users?active=true&inactive=true"), 400);
        await expect.Check("an unknown sort", reader.GetAsync($"/api/v4/users?in_team={teamId}&sort=shoe_size"), 400);
        await expect.Check("sort by status outside a channel", reader.GetAsync($"/api/v4/users?in_team={teamId}&sort=status"), 400);
        await expect.Check("a bad team id", reader.GetAsync("/api/v4/users?in_team=nope"), 400);
        await expect.Check("without a team, an admin", cluster.Admin.GetAsync("/api/v4/users?without_team=true"), 200);
        expect.Verify();
        Assert.Contains(outsider.Username, await AllUsernames(cluster.Admin.On(cluster.Api2.BaseUrl), "without_team=true&role=system_user"));
        Assert.DoesNotContain(alice.Username, await AllUsernames(cluster.Admin, "without_team=true"));
    }

    [Fact]
    public async Task Autocomplete_finds_users_in_and_out_of_the_channel()
    {
        var (tag, alice, bob, carol, teamId, channelId) = await TeamWithChannelAsync("P");
        var reader = alice.On(cluster.Api2.BaseUrl);
        (await carol.PutAsync("/api/v4/users/me/patch", new { FirstName = "Zanzibar" + tag, Nickname = "" })).Expect(200);

        // Every username of this test starts with its tag; the web app sends in_team, in_channel, name, limit.
        var inChannel = (await reader.GetAsync($"/api/v4/users/autocomplete?in_team={teamId}&in_channel={channelId}&name={tag}&limit=25")).Expect(200).Json;
        Assert.Equal(Names(alice, bob), Usernames(inChannel["users"]!));
        Assert.Equal(Names(carol), Usernames(inChannel["out_of_channel"]!));

        var inTeam = (await reader.GetAsync($"/api/v4/users/autocomplete?in_team={teamId}&in_channel=&name=@{tag.ToUpperInvariant()}")).Expect(200).Json;
        Assert.Equal(Names(alice, bob, carol), Usernames(inTeam["users"]!));
        Assert.Null(inTeam["out_of_channel"]);
        // The channel's team when none is given; first names match too.
        var byFirstName = (await reader.GetAsync($"/api/v4/users/autocomplete?in_channel={channelId}&name=zanzibar{tag}")).Expect(200).Json;
        Assert.Empty(byFirstName["users"]!.AsArray());
        Assert.Equal(Names(carol), Usernames(byFirstName["out_of_channel"]!));
        Assert.Equal(Names(alice), Usernames((await reader.GetAsync($"/api/v4/users/autocomplete?in_team={teamId}&name={tag}&limit=1")).Expect(200).Json["users"]!));
        Assert.Contains(carol.Username, Usernames((await bob.GetAsync($"/api/v4/users/autocomplete?name={tag}")).Expect(200).Json["users"]!));
        Assert.Empty((await reader.GetAsync($"/api/v4/users/autocomplete?in_team={teamId}&name={tag}zzz")).Expect(200).Json["users"]!.AsArray());
        // A LIKE wildcard is an ordinary character.
        Assert.Empty((await reader.GetAsync($"/api/v4/users/autocomplete?in_team={teamId}&name=%25")).Expect(200).Json["users"]!.AsArray());

        var expect = new Expectations();
        await expect.Check("a private channel one is not in", carol.GetAsync($"/api/v4/users/autocomplete?in_team={teamId}&in_channel={channelId}&name={tag}"), 403);
        await expect.Check("a team one is not in", (await cluster.NewUserAsync()).GetAsync($"/api/v4/users/autocomplete?in_team={teamId}&name={tag}"), 403);
        await expect.Check("a zero limit", reader.GetAsync($"/api/v4/users/autocomplete?name={tag}&limit=0"), 400);
        await expect.Check("a bad channel id", reader.GetAsync($"/api/v4/users/autocomplete?in_channel=x&name={tag}"), 400);
        expect.Verify();
    }

    [Fact]
    public async Task Search_matches_words_of_names_within_the_filters()
    {
        var (tag, alice, bob, carol, teamId, channelId) = await TeamWithChannelAsync("O");
        (await bob.PutAsync("/api/v4/users/me/patch", new { FirstName = "Quentin", LastName = "Blake" + tag })).Expect(200);
        var reader = carol.On(cluster.Api1.BaseUrl);

        async Task<List<string?>> Search(object body) =>
            Usernames((await reader.PostAsync("/api/v4/users/search", body)).Expect(200).Json);

        Assert.Equal(Names(alice, bob, carol), await Search(new { Term = tag, TeamId = teamId }));
        Assert.Equal(Names(bob), await Search(new { Term = $"quent blake{tag}" }));
        Assert.Equal(Names(alice, bob), await Search(new { Term = tag, InChannelId = channelId }));
        Assert.Equal(Names(carol), await Search(new { Term = tag, TeamId = teamId, NotInChannelId = channelId }));
        Assert.Equal(Names(alice), await Search(new { Term = tag, TeamId = teamId, Limit = 1 }));
        Assert.Equal(Names(carol), await Search(new { Term = $"{carol.Username}@example" }));

        var expect = new Expectations();
        await expect.Check("no term", reader.PostAsync("/api/v4/users/search", new { TeamId = teamId }), 400);
        await expect.Check("a blank term", reader.PostAsync("/api/v4/users/search", new { Term = "  " }), 400);
        await expect.Check("not_in_channel_id without team_id", reader.PostAsync("/api/v4/users/search", new { Term = tag, NotInChannelId = channelId }), 400);
        await expect.Check("a limit over 1000", reader.PostAsync("/api/v4/users/search", new { Term = tag, Limit = 1001 }), 400);
        await expect.Check("a team one is not in", (await cluster.NewUserAsync()).PostAsync("/api/v4/users/search", new { Term = tag, TeamId = teamId }), 403);
        expect.Verify();
    }

    /// <summary>
    /// Alice (api-1) creates a team and a channel of the given type, adds Bob to both and Carol to the team only.
    /// The three usernames begin with a tag no other test uses.
    /// </summary>
    private async Task<(string Tag, ApiClient Alice, ApiClient Bob, ApiClient Carol, string TeamId, string ChannelId)> TeamWithChannelAsync(string type)
    {
        var tag = "s" + Unique.Suffix()[..6];
        var alice = await cluster.NewUserAsync(cluster.Api1, tag + "a");
        var bob = await cluster.NewUserAsync(cluster.Api2, tag + "b");
        var carol = await cluster.NewUserAsync(cluster.Api2, tag + "c");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob, carol);
        var channelId = await alice.CreateChannelAsync(teamId, type);
        await alice.AddToChannelAsync(channelId, bob);
        return (tag, alice, bob, carol, teamId, channelId);
    }

    private static List<string?> Names(params ApiClient[] users) => [.. users.Select(u => u.Username).Order(StringComparer.Ordinal)];

    private static List<string?> Usernames(JsonNode users) => [.. users.AsArray().Select(u => (string?)u!["username"])];
}
