using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>Sign-up, login (token and cookies), logout and user lookups across both api nodes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class UsersTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Usernames_reserved_for_bots_are_refused_at_sign_up_and_rename()
    {
        foreach (var name in new[] { "trigger-word", "Channel-Digest", "system-bot", "surveybot" })
        {
            var refused = (await cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/users", new { Username = name, Email = $"{Unique.Username()}@example.com", Password = ApiClient.DefaultPassword })).Expect(400);
            Assert.Equal("model.user.is_valid.username.app_error", (string?)refused.Json["id"]);
        }
        var user = await cluster.NewUserAsync(cluster.Api2, "renamer");
        Assert.Equal("model.user.is_valid.username.app_error", (string?)(await user.PutAsync("/api/v4/users/me/patch", new { Username = "trigger-word" })).Expect(400).Json["id"]);
        (await cluster.Admin.PutAsync($"/api/v4/users/{user.UserId}/patch", new { Username = "channel-digest" })).Expect(400);
    }

    [Fact]
    public async Task Sign_up_on_one_node_and_log_in_on_the_other()
    {
        var name = Unique.Username();
        var created = (await cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/users", new
        {
            Username = name.ToUpperInvariant(),
            Email = $"{name}@Example.com",
            Password = ApiClient.DefaultPassword,
            FirstName = "Ada",
            LastName = "Lovelace",
        })).Expect(201);
        var user = created.Json;
        var id = (string)user["id"]!;
        Assert.Equal(26, id.Length);
        Assert.Equal(name, (string?)user["username"]);
        Assert.Equal($"{name}@example.com", (string?)user["email"]);
        Assert.Equal("system_user", (string?)user["roles"]);
        Assert.True((long)user["create_at"]! > 1_600_000_000_000);
        Assert.Null(user["password"]);
        Assert.DoesNotContain("hash", created.Body, StringComparison.OrdinalIgnoreCase);

        var client = cluster.Anonymous(cluster.Api2);
        var login = (await client.PostAsync("/api/v4/users/login", new { LoginId = $"{name}@example.com", Password = ApiClient.DefaultPassword })).Expect(200);
        var token = login.Header("Token");
        Assert.False(string.IsNullOrEmpty(token));
        var cookies = login.Headers.GetValues("Set-Cookie").ToList();
        Assert.Contains(cookies, c => c.StartsWith($"MMAUTHTOKEN={token};", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(cookies, c => c.StartsWith($"MMUSERID={id};", StringComparison.Ordinal));
        Assert.Contains(cookies, c => c.StartsWith("MMCSRF=", StringComparison.Ordinal));

        client.Token = token;
        var me = (await client.On(cluster.Api1.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200).Json;
        Assert.Equal(id, (string?)me["id"]);
        Assert.Equal("Ada", (string?)me["first_name"]);

        // Clients send the scheme in any case ("BEARER" in Mattermost's), or the token as a query parameter.
        var anonymous = cluster.Anonymous(cluster.Api2);
        (await anonymous.SendAsync(HttpMethod.Get, "/api/v4/users/me", null, r => r.Headers.TryAddWithoutValidation("Authorization", $"BEARER {token}"))).Expect(200);
        (await anonymous.SendAsync(HttpMethod.Get, "/api/v4/users/me", null, r => r.Headers.TryAddWithoutValidation("Authorization", $"Token {token}"))).Expect(200);
        (await anonymous.GetAsync($"/api/v4/users/me?access_token={token}")).Expect(200);
    }

    [Fact]
    public async Task Only_the_first_user_is_system_admin()
    {
        var me = (await cluster.Admin.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200).Json;
        Assert.Contains("system_admin", ((string)me["roles"]!).Split(' '));
        var user = await cluster.NewUserAsync(cluster.Api2);
        var roles = (string)(await user.GetAsync("/api/v4/users/me")).Expect(200).Json["roles"]!;
        Assert.Equal("system_user", roles);
    }

    [Fact]
    public async Task Duplicate_usernames_and_emails_are_refused()
    {
        var name = Unique.Username();
        var anonymous = cluster.Anonymous(cluster.Api1);
        await anonymous.CreateUserAsync(name);
        var sameName = await cluster.Anonymous(cluster.Api2).PostAsync("/api/v4/users", new { Username = name, Email = $"other{name}@example.com", Password = ApiClient.DefaultPassword });
        Assert.Equal("app.user.save.username_exists.app_error", (string?)sameName.Expect(400).Json["id"]);
        var sameEmail = await anonymous.PostAsync("/api/v4/users", new { Username = Unique.Username(), Email = $"{name}@example.com", Password = ApiClient.DefaultPassword });
        Assert.Equal("app.user.save.email_exists.app_error", (string?)sameEmail.Expect(400).Json["id"]);
    }

    [Fact]
    public async Task Wrong_credentials_get_401_without_saying_which_part_was_wrong()
    {
        var user = await cluster.NewUserAsync();
        var anonymous = cluster.Anonymous(cluster.Api2);
        var wrongPassword = (await anonymous.PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = "not-the-password" })).Expect(401).Json;
        var noSuchUser = (await anonymous.PostAsync("/api/v4/users/login", new { LoginId = Unique.Username(), Password = "not-the-password" })).Expect(401).Json;
        Assert.Equal((string?)wrongPassword["id"], (string?)noSuchUser["id"]);
        Assert.Equal((string?)wrongPassword["message"], (string?)noSuchUser["message"]);
        (await anonymous.GetAsync("/api/v4/users/me")).Expect(401);
        var bogus = anonymous.Anonymous();
        bogus.Token = Unique.Suffix() + Unique.Suffix();
        (await bogus.GetAsync("/api/v4/users/me")).Expect(401);
    }

    [Fact]
    public async Task Cookie_sessions_need_the_csrf_header_to_change_anything()
    {
        var name = Unique.Username();
        var anonymous = cluster.Anonymous(cluster.Api1);
        await anonymous.CreateUserAsync(name);
        var login = (await anonymous.PostAsync("/api/v4/users/login", new { LoginId = name, Password = ApiClient.DefaultPassword })).Expect(200);
        var cookies = login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        var cookieHeader = string.Join("; ", cookies);
        var csrf = cookies.Single(c => c.StartsWith("MMCSRF=", StringComparison.Ordinal))["MMCSRF=".Length..];
        var userId = (string)login.Json["id"]!;

        // Reads need only the cookie; writes also the X-CSRF-Token header with the MMCSRF value, on any node.
        foreach (var node in new[] { cluster.Api1, cluster.Api2 })
        {
            var browser = cluster.Anonymous(node);
            (await browser.SendAsync(HttpMethod.Get, "/api/v4/users/me", null, r => r.Headers.Add("Cookie", cookieHeader))).Expect(200);
            var ids = ApiClient.RawJson($"[\"{userId}\"]");
            (await browser.SendAsync(HttpMethod.Post, "/api/v4/users/ids", ids, r => r.Headers.Add("Cookie", cookieHeader))).Expect(401);
            (await browser.SendAsync(HttpMethod.Post, "/api/v4/users/ids", ApiClient.RawJson($"[\"{userId}\"]"), r =>
            {
                r.Headers.Add("Cookie", cookieHeader);
                r.Headers.Add("X-CSRF-Token", "wrong" + csrf);
            })).Expect(401);
            (await browser.SendAsync(HttpMethod.Post, "/api/v4/users/ids", ApiClient.RawJson($"[\"{userId}\"]"), r =>
            {
                r.Headers.Add("Cookie", cookieHeader);
                r.Headers.Add("X-CSRF-Token", csrf);
            })).Expect(200);
        }
    }

    [Fact]
    public async Task Logout_on_one_node_ends_the_session_on_every_node_within_a_second()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var other = user.On(cluster.Api2.BaseUrl);
        (await other.GetAsync("/api/v4/users/me")).Expect(200);
        var logout = (await user.PostAsync("/api/v4/users/logout", null)).Expect(200);
        Assert.Equal("OK", (string?)logout.Json["status"]);
        Assert.Contains(logout.Headers.GetValues("Set-Cookie"), c => c.StartsWith("MMAUTHTOKEN=;", StringComparison.Ordinal));
        // The node that logged out drops its cached session at once; the other when the invalidation event arrives.
        (await user.GetAsync("/api/v4/users/me")).Expect(401);
        await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(1), async () => (await other.GetAsync("/api/v4/users/me")).Status == 401);
        (await other.PostAsync("/api/v4/users/logout", null)).Expect(401);
        // Other sessions of the same user live on.
        await user.LoginAsync(user.Username!);
        (await user.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200);
    }

    [Fact]
    public async Task Users_can_be_looked_up_by_id_username_and_list()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);

        var byId = (await alice.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/users/{bob.UserId}")).Expect(200).Json;
        Assert.Equal(bob.Username, (string?)byId["username"]);
        Assert.Null(byId["password"]);
        Assert.DoesNotContain("hash", byId.ToJsonString(), StringComparison.OrdinalIgnoreCase);

        var byName = (await alice.GetAsync($"/api/v4/users/username/{bob.Username!.ToUpperInvariant()}")).Expect(200).Json;
        Assert.Equal(bob.UserId, (string?)byName["id"]);
        (await alice.GetAsync($"/api/v4/users/username/{Unique.Username()}")).Expect(404);
        (await alice.GetAsync($"/api/v4/users/{Unique.Suffix().PadRight(26, 'a')}")).Expect(404);

        var many = (await bob.PostAsync("/api/v4/users/ids", new[] { alice.UserId, bob.UserId, alice.UserId })).Expect(200).Json.AsArray();
        Assert.Equal(new[] { alice.UserId, bob.UserId }.Order(), many.Select(u => (string?)u!["id"]).Order());
        var named = (await bob.PostAsync("/api/v4/users/usernames", new[] { alice.Username!.ToUpperInvariant(), bob.Username, Unique.Username() })).Expect(200).Json.AsArray();
        Assert.Equal(new[] { alice.UserId, bob.UserId }.Order(), named.Select(u => (string?)u!["id"]).Order());
        (await bob.PostAsync("/api/v4/users/usernames", Array.Empty<string>())).Expect(400);

        var page = (await alice.GetAsync("/api/v4/users?page=0&per_page=2")).Expect(200).Json.AsArray();
        Assert.Equal(2, page.Count);
        var next = (await alice.GetAsync("/api/v4/users?page=1&per_page=2")).Expect(200).Json.AsArray();
        Assert.Empty(page.Select(Id).Intersect(next.Select(Id)));
        var all = (await alice.GetAsync("/api/v4/users?per_page=200")).Expect(200).Json.AsArray();
        Assert.Contains(all, u => Id(u) == bob.UserId);
    }

    private static string? Id(JsonNode? node) => (string?)node?["id"];
}
