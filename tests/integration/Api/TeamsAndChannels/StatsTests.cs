namespace Chat.IntegrationTests;

/// <summary>Team and channel statistics, counted as Mattermost counts them, and the (empty) member counts by group.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StatsTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Team_stats_count_members_and_the_active_ones()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => cluster.NewUserAsync(i % 2 == 0 ? cluster.Api1 : cluster.Api2, "stats")));
        var (owner, gone, stranger) = (users[0], users[1], users[3]);
        var teamId = await owner.CreateTeamAsync();
        await owner.AddToTeamAsync(teamId, users[1], users[2]);
        // A deactivated account stays a member but is no longer active.
        await cluster.Cluster.ExecuteAsync("UPDATE users SET delete_at = 1 WHERE id = $1", gone.UserId!);

        var stats = (await users[2].On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/teams/{teamId}/stats")).Expect(200).Json;
        Assert.Equal(teamId, (string?)stats["team_id"]);
        Assert.Equal(3L, (long)stats["total_member_count"]!);
        Assert.Equal(2L, (long)stats["active_member_count"]!);
        (await stranger.GetAsync($"/api/v4/teams/{teamId}/stats")).Expect(403);
        Assert.Equal(3L, (long)(await cluster.Admin.GetAsync($"/api/v4/teams/{teamId}/stats")).Expect(200).Json["total_member_count"]!);
        (await cluster.Admin.GetAsync($"/api/v4/teams/{Unique.Suffix()}{Unique.Suffix()}abcdef/stats")).Expect(404);
        (await owner.GetAsync("/api/v4/teams/nope/stats")).Expect(400);
    }

    [Fact]
    public async Task Channel_stats_count_active_members_guests_and_pinned_posts()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => cluster.NewUserAsync(i % 2 == 0 ? cluster.Api1 : cluster.Api2, "stats")));
        var (owner, guest, gone, teammate) = (users[0], users[1], users[2], users[3]);
        var teamId = await owner.CreateTeamAsync();
        await owner.AddToTeamAsync(teamId, guest, gone, teammate);
        var channelId = await owner.CreateChannelAsync(teamId, "O");
        await owner.AddToChannelAsync(channelId, guest, gone);
        await cluster.Cluster.ExecuteAsync("UPDATE channel_members SET scheme_guest = true, scheme_user = false WHERE channel_id = $1 AND user_id = $2", channelId, guest.UserId!);
        await cluster.Cluster.ExecuteAsync("UPDATE users SET delete_at = 1 WHERE id = $1", gone.UserId!);
        var pinned = (await owner.CreatePostAsync(channelId, "pin me")).Id();
        await owner.CreatePostAsync(channelId, "leave me");
        (await owner.PostAsync($"/api/v4/posts/{pinned}/pin", null)).Expect(200);

        var stats = (await owner.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/channels/{channelId}/stats")).Expect(200).Json;
        Assert.Equal(channelId, (string?)stats["channel_id"]);
        Assert.Equal(2L, (long)stats["member_count"]!);
        Assert.Equal(1L, (long)stats["guest_count"]!);
        Assert.Equal(1L, (long)stats["pinnedpost_count"]!);
        Assert.Equal(0L, (long)stats["files_count"]!);
        Assert.Equal(-1L, (long)(await owner.GetAsync($"/api/v4/channels/{channelId}/stats?exclude_files_count=true")).Expect(200).Json["files_count"]!);

        // read_channel, which a teammate outside the channel lacks even for a public one (as in Mattermost).
        (await teammate.GetAsync($"/api/v4/channels/{channelId}/stats")).Expect(403);
        (await owner.GetAsync($"/api/v4/channels/{Unique.Suffix()}{Unique.Suffix()}abcdef/stats")).Expect(404);

        var groups = (await owner.GetAsync($"/api/v4/channels/{channelId}/member_counts_by_group?include_timezones=true")).Expect(200).Json;
        Assert.Empty(groups.AsArray());
        (await teammate.GetAsync($"/api/v4/channels/{channelId}/member_counts_by_group")).Expect(403);
    }
}
