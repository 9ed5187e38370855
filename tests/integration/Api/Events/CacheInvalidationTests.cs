using System.Diagnostics;

namespace Chat.IntegrationTests;

/// <summary>
/// Each api node caches sessions (every request) and channel access (every post); a change on one node must
/// reach the other node's cache within a second, through the invalidation event the change records.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CacheInvalidationTests(ClusterFixture cluster)
{
    /// <summary>
    /// Polls until <paramref name="condition"/> holds and returns when it first did: the time the successful check
    /// was sent (the other node answered that request from its cache as it was then, so a slow answer on a busy
    /// machine is not counted as propagation). Fails once a check sent after <paramref name="limit"/> still fails.
    /// </summary>
    public static async Task<TimeSpan> WithinAsync(TimeSpan limit, Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var sent = clock.Elapsed;
            if (await condition())
            {
                return sent;
            }
            Assert.True(sent < limit, $"Still not true for a check sent after {sent.TotalMilliseconds:F0} ms (limit {limit.TotalMilliseconds:F0} ms).");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_session_revoked_on_one_node_is_refused_by_the_other_within_a_second()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var second = await user.Anonymous().LoginAsync(user.Username!);
        var other = user.On(cluster.Api2.BaseUrl);
        // Cached on api-2 now.
        (await other.GetAsync("/api/v4/users/me")).Expect(200);
        (await other.GetAsync("/api/v4/users/me")).Expect(200);

        (await user.PostAsync("/api/v4/users/logout", null)).Expect(200);
        var took = await WithinAsync(TimeSpan.FromSeconds(1), async () => (await other.GetAsync("/api/v4/users/me")).Status == 401);
        Assert.True(took < TimeSpan.FromSeconds(1));
        Assert.NotNull(second);
    }

    [Fact]
    public async Task A_member_removed_on_one_node_can_no_longer_post_on_the_other_within_a_second()
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var member = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await owner.CreateTeamAsync();
        await owner.AddToTeamAsync(teamId, member);
        var channelId = await owner.CreateChannelAsync(teamId, "P");
        await owner.AddToChannelAsync(channelId, member);
        // Posting on api-2 caches the member's access there.
        await member.CreatePostAsync(channelId, "before");
        await member.CreatePostAsync(channelId, "cached");

        (await owner.DeleteAsync($"/api/v4/channels/{channelId}/members/{member.UserId}")).Expect(200);
        await WithinAsync(TimeSpan.FromSeconds(1), async () =>
            (await member.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "after" })).Status == 403);

        // Added back (on the other node this time): allowed again as soon as the add is visible there.
        (await owner.On(cluster.Api2.BaseUrl).PostAsync($"/api/v4/channels/{channelId}/members", new { member.UserId })).Expect(201);
        await member.CreatePostAsync(channelId, "back");
    }

    [Fact]
    public async Task Leaving_the_team_ends_channel_access_on_the_other_node_within_a_second()
    {
        var owner = await cluster.NewUserAsync(cluster.Api1);
        var member = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await owner.CreateTeamAsync();
        await owner.AddToTeamAsync(teamId, member);
        var channelId = await owner.CreateChannelAsync(teamId, "O");
        await owner.AddToChannelAsync(channelId, member);
        await member.CreatePostAsync(channelId, "cached");

        (await owner.DeleteAsync($"/api/v4/teams/{teamId}/members/{member.UserId}")).Expect(200);
        await WithinAsync(TimeSpan.FromSeconds(1), async () =>
            (await member.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "after" })).Status == 403);
    }
}
