namespace Chat.IntegrationTests;

/// <summary>The edge's access log names each request's path but never its query string, where clients may put a session token.</summary>
[Collection(ClusterCollection.Name)]
public sealed class EdgeAccessLogTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_token_in_the_query_string_stays_out_of_the_access_log()
    {
        await using var edge = await cluster.Cluster.StartEdgeAsync([cluster.Api1, cluster.Api2]);
        var user = await cluster.NewUserAsync(cluster.Api1);
        var anonymous = user.Anonymous().On(edge.BaseUrl);
        await anonymous.GetAsync($"/api/v4/users/me?access_token={user.Token}");
        (await user.On(edge.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);

        var log = edge.AccessLog;
        Assert.Contains("GET /api/v4/users/me HTTP/1.1", log, StringComparison.Ordinal);
        Assert.DoesNotContain(user.Token!, log, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", log, StringComparison.Ordinal);
    }
}
