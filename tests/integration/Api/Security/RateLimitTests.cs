using System.Globalization;

namespace Chat.IntegrationTests;

/// <summary>
/// RateLimitSettings: login and sign-up are limited per client address on each api node even while the general
/// limit is off; the general limit (Mattermost's) keys by user or address; both answer 429 with X-RateLimit-*.
/// X-Forwarded-For counts only from a trusted proxy.
/// </summary>
[Collection(LimitsCollection.Name)]
public sealed class RateLimitTests(LimitsFixture cluster)
{
    private static int Number(ApiResponse response, string header) => int.Parse(response.Header(header)!, CultureInfo.InvariantCulture);

    private static void AssertRefused(ApiResponse response)
    {
        Assert.Equal("api.context.rate_limited.app_error", (string?)LimitsFixture.Error(response)["id"]);
        Assert.Equal(0, Number(response, "X-RateLimit-Remaining"));
        Assert.True(Number(response, "X-RateLimit-Reset") >= 1);
        Assert.True(Number(response, "Retry-After") >= 1);
    }

    [Fact]
    public async Task Logins_from_one_address_are_limited_per_node_while_the_general_limit_is_off()
    {
        var address = cluster.NewAddress();
        var anonymous = cluster.Anonymous(cluster.Api1);
        var wrong = new { LoginId = "nobody-" + Unique.Suffix(), Password = "wrong-password" };
        for (var i = 0; i < LimitsFixture.AuthenticationsAtOnce; i++)
        {
            var answer = (await LimitsFixture.FromAsync(anonymous, address, HttpMethod.Post, "/api/v4/users/login", wrong)).Expect(401);
            Assert.Equal(LimitsFixture.AuthenticationsAtOnce, Number(answer, "X-RateLimit-Limit"));
            Assert.Equal(LimitsFixture.AuthenticationsAtOnce - 1 - i, Number(answer, "X-RateLimit-Remaining"));
        }
        AssertRefused(await LimitsFixture.FromAsync(anonymous, address, HttpMethod.Post, "/api/v4/users/login", wrong));
        // Another address, and the same address on the other node (limits are per node), are still heard.
        (await LimitsFixture.FromAsync(anonymous, cluster.NewAddress(), HttpMethod.Post, "/api/v4/users/login", wrong)).Expect(401);
        (await LimitsFixture.FromAsync(cluster.Anonymous(cluster.Api2), address, HttpMethod.Post, "/api/v4/users/login", wrong)).Expect(401);
        // Other requests from the address are not limited while RateLimitSettings.Enable is off.
        var ping = (await LimitsFixture.FromAsync(anonymous, address, HttpMethod.Get, "/api/v4/system/ping")).Expect(200);
        Assert.Null(ping.Header("X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Sign_ups_from_one_address_are_limited()
    {
        var address = cluster.NewAddress();
        var anonymous = cluster.Anonymous(cluster.Api2);
        object NewUser()
        {
            var name = Unique.Username("signup");
            return new { Username = name, Email = $"{name}@example.com", Password = ApiClient.DefaultPassword };
        }
        for (var i = 0; i < LimitsFixture.AuthenticationsAtOnce; i++)
        {
            (await LimitsFixture.FromAsync(anonymous, address, HttpMethod.Post, "/api/v4/users", NewUser())).Expect(201);
        }
        AssertRefused(await LimitsFixture.FromAsync(anonymous, address, HttpMethod.Post, "/api/v4/users", NewUser()));
        // Listing users is no sign-up.
        var (token, _) = await cluster.NewUserAsync(cluster.Api2);
        var user = new ApiClient(cluster.Http, cluster.Api2.BaseUrl) { Token = token };
        (await LimitsFixture.FromAsync(user, address, HttpMethod.Get, "/api/v4/users")).Expect(200);
    }

    [Fact]
    public async Task X_Forwarded_For_counts_only_from_a_trusted_proxy()
    {
        // A node that trusts only a proxy at 192.0.2.1: every request of this test comes from 127.0.0.1, whatever it claims.
        await using var node = cluster.NewNode("api", "api-untrusting", new Dictionary<string, string> { ["MM_SERVICESETTINGS_TRUSTEDPROXIES"] = "192.0.2.1" });
        await node.StartAsync();
        var anonymous = cluster.Anonymous(node);
        var wrong = new { LoginId = "nobody-" + Unique.Suffix(), Password = "wrong-password" };
        for (var i = 0; i < LimitsFixture.AuthenticationsAtOnce; i++)
        {
            (await LimitsFixture.FromAsync(anonymous, cluster.NewAddress(), HttpMethod.Post, "/api/v4/users/login", wrong)).Expect(401);
        }
        AssertRefused(await LimitsFixture.FromAsync(anonymous, cluster.NewAddress(), HttpMethod.Post, "/api/v4/users/login", wrong));
    }

    [Fact]
    public async Task The_general_limit_keys_by_user_and_answers_429_with_the_rate_headers()
    {
        var (alice, _) = await cluster.NewUserAsync(cluster.Api1);
        var (bob, _) = await cluster.NewUserAsync(cluster.Api1);
        await using var node = cluster.NewNode("api", "api-limited", new Dictionary<string, string>
        {
            ["MM_RATELIMITSETTINGS_ENABLE"] = "true",
            ["MM_RATELIMITSETTINGS_PERSEC"] = "1",
            ["MM_RATELIMITSETTINGS_MAXBURST"] = "4",
            ["MM_RATELIMITSETTINGS_VARYBYUSER"] = "true",
        });
        await node.StartAsync();
        var asAlice = new ApiClient(cluster.Http, node.BaseUrl) { Token = alice };
        for (var remaining = 4; remaining >= 0; remaining--)
        {
            var me = (await asAlice.GetAsync("/api/v4/users/me")).Expect(200);
            Assert.Equal(5, Number(me, "X-RateLimit-Limit"));
            Assert.InRange(Number(me, "X-RateLimit-Remaining"), 0, remaining);
        }
        var refused = await asAlice.GetAsync("/api/v4/users/me");
        AssertRefused(refused);
        Assert.Equal(5, Number(refused, "X-RateLimit-Limit"));
        // Errors carry the headers too; another user has a quota of their own; probes are not limited.
        var missing = (await new ApiClient(cluster.Http, node.BaseUrl) { Token = bob }.GetAsync("/api/v4/users/" + new string('a', 26))).Expect(404);
        Assert.Equal(4, Number(missing, "X-RateLimit-Remaining"));
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await cluster.Http.GetAsync(node.BaseUrl + "/readyz")).IsSuccessStatusCode);
        }
        // The quota refills at PerSec.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        (await asAlice.GetAsync("/api/v4/users/me")).Expect(200);
    }

    [Fact]
    public async Task The_edge_limits_login_and_sign_up_per_address_with_an_AppError()
    {
        await using var edge = await EdgeProxy.StartAsync([cluster.Api1.BaseUrl, cluster.Api2.BaseUrl], [cluster.Realtime.BaseUrl], ("1r/m", 2));
        // Not the contract-checking client: the edge's own answer cannot carry the nodes' X-Version-Id.
        using var http = new HttpClient();
        var anonymous = new ApiClient(http, edge.BaseUrl);
        var wrong = new { LoginId = "nobody-" + Unique.Suffix(), Password = "wrong-password" };
        // Different X-Forwarded-For claims do not matter: the edge counts the address it sees.
        for (var i = 0; i < 3; i++)
        {
            (await LimitsFixture.FromAsync(anonymous, cluster.NewAddress(), HttpMethod.Post, "/api/v4/users/login", wrong)).Expect(401);
        }
        var refused = (await LimitsFixture.FromAsync(anonymous, cluster.NewAddress(), HttpMethod.Post, "/api/v4/users/login", wrong)).Expect(429);
        Assert.Equal("api.context.rate_limited.app_error", (string?)refused.Json["id"]);
        Assert.Equal(429, (int)refused.Json["status_code"]!);
        Assert.Equal("nosniff", refused.Header("X-Content-Type-Options"));
        Assert.NotNull(refused.Header("X-Request-Id"));
        // Only POSTs to login and sign-up are counted.
        for (var i = 0; i < 5; i++)
        {
            (await anonymous.GetAsync("/api/v4/users/me")).Expect(401);
            (await anonymous.GetAsync("/api/v4/system/ping")).Expect(200);
        }
    }
}
