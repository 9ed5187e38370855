using System.Net.Http.Headers;
using System.Text;

namespace Chat.IntegrationTests;

/// <summary>
/// Malformed, mistyped, missing, oversized and out-of-range input, unknown routes and wrong methods: all get a
/// 4xx AppError, never a 5xx or a stack trace (every response passes <see cref="ResponseContract"/>).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BadInputTests(ClusterFixture cluster)
{
    private const int MaxPostRunes = 16_383;

    private sealed record Target(ApiClient User, string TeamId, string ChannelId, string PostId);

    [Fact]
    public async Task Malformed_json_and_wrong_types_are_400()
    {
        var t = await TargetAsync();
        var bodies = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "/api/v4/users"),
            (HttpMethod.Post, "/api/v4/users/login"),
            (HttpMethod.Post, "/api/v4/users/ids"),
            (HttpMethod.Post, "/api/v4/teams"),
            (HttpMethod.Post, $"/api/v4/teams/{t.TeamId}/members"),
            (HttpMethod.Post, "/api/v4/channels"),
            (HttpMethod.Post, "/api/v4/channels/direct"),
            (HttpMethod.Post, $"/api/v4/channels/{t.ChannelId}/members"),
            (HttpMethod.Post, "/api/v4/posts"),
            (HttpMethod.Put, $"/api/v4/posts/{t.PostId}/patch"),
            (HttpMethod.Post, "/api/v4/posts/ids"),
            (HttpMethod.Post, $"/api/v4/teams/{t.TeamId}/posts/search"),
            (HttpMethod.Post, "/api/v4/reactions"),
            (HttpMethod.Post, "/api/v4/posts/ids/reactions"),
            (HttpMethod.Post, "/api/v4/emoji/names"),
            (HttpMethod.Post, "/api/v4/emoji/search"),
        };
        var expect = new Expectations();
        foreach (var (method, path) in bodies)
        {
            foreach (var body in new[] { "{not json", "{\"a\": }", "[1, 2", "nul", "\"text\"", "42", "null", "", "{\"a\":1}}", "\u00ff\u00fe" })
            {
                await expect.Check($"{method} {path} with '{body}'", t.User.SendAsync(method, path, ApiClient.RawJson(body)), 400);
            }
        }

        var wrongTypes = new (HttpMethod Method, string Path, string Body)[]
        {
            (HttpMethod.Post, "/api/v4/users", """{"username": 5, "email": "a@b.co", "password": "long enough"}"""),
            (HttpMethod.Post, "/api/v4/users", """{"username": "okname", "email": ["a@b.co"], "password": "long enough"}"""),
            (HttpMethod.Post, "/api/v4/users/login", """{"login_id": true, "password": "x"}"""),
            (HttpMethod.Post, "/api/v4/users/login", "[]"),
            (HttpMethod.Post, "/api/v4/users/ids", "[1, 2]"),
            (HttpMethod.Post, "/api/v4/users/ids", """{"ids": []}"""),
            (HttpMethod.Post, "/api/v4/teams", """{"name": {"a": 1}, "display_name": "x"}"""),
            (HttpMethod.Post, "/api/v4/teams", """{"name": "okname", "display_name": "x", "allow_open_invite": "yes"}"""),
            (HttpMethod.Post, $"/api/v4/teams/{t.TeamId}/members", """{"user_id": 5}"""),
            (HttpMethod.Post, "/api/v4/channels", $$"""{"team_id": 123, "name": "x", "display_name": "x"}"""),
            (HttpMethod.Post, "/api/v4/channels/direct", """["a", 2]"""),
            (HttpMethod.Post, "/api/v4/channels/direct", """{"user_ids": []}"""),
            (HttpMethod.Post, $"/api/v4/channels/{t.ChannelId}/members", """{"user_id": []}"""),
            (HttpMethod.Post, "/api/v4/posts", $$"""{"channel_id": "{{t.ChannelId}}", "message": 42}"""),
            (HttpMethod.Post, "/api/v4/posts", $$"""{"channel_id": "{{t.ChannelId}}", "message": "x", "props": "text"}"""),
            (HttpMethod.Post, "/api/v4/posts", $$"""{"channel_id": "{{t.ChannelId}}", "message": "x", "props": [1]}"""),
            (HttpMethod.Post, "/api/v4/posts", $$"""{"channel_id": "{{t.ChannelId}}", "message": "x", "props": {{new string('[', 100)}}{{new string(']', 100)}}}"""),
            (HttpMethod.Put, $"/api/v4/posts/{t.PostId}/patch", """{"is_pinned": "yes"}"""),
            (HttpMethod.Put, $"/api/v4/posts/{t.PostId}/patch", """{"message": ["x"]}"""),
            (HttpMethod.Post, "/api/v4/posts/ids", "[1, 2]"),
            (HttpMethod.Post, "/api/v4/posts/ids", """{"ids": []}"""),
            (HttpMethod.Post, $"/api/v4/teams/{t.TeamId}/posts/search", """{"terms": 1}"""),
            (HttpMethod.Post, $"/api/v4/teams/{t.TeamId}/posts/search", """{"terms": "x", "page": "first"}"""),
            (HttpMethod.Post, $"/api/v4/teams/{t.TeamId}/posts/search", """{"terms": "x", "per_page": 1e20}"""),
            (HttpMethod.Post, $"/api/v4/teams/{t.TeamId}/posts/search", """{"terms": "x", "page": 99999999999}"""),
        };
        foreach (var (method, path, body) in wrongTypes)
        {
            await expect.Check($"{method} {path} with {body[..Math.Min(body.Length, 80)]}", t.User.SendAsync(method, path, ApiClient.RawJson(body)), 400);
        }
        expect.Verify();
    }

    [Fact]
    public async Task Bodies_that_are_not_json_are_refused()
    {
        var t = await TargetAsync();
        var expect = new Expectations();
        var json = $$"""{"channel_id": "{{t.ChannelId}}", "message": "hello"}""";
        await expect.Check("text/plain", t.User.SendAsync(HttpMethod.Post, "/api/v4/posts", new StringContent(json, Encoding.UTF8, "text/plain")), 415);
        await expect.Check("form", t.User.SendAsync(HttpMethod.Post, "/api/v4/posts", new FormUrlEncodedContent([new("channel_id", t.ChannelId), new("message", "hello")])), 415);
        var noType = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        await expect.Check("no content type", t.User.SendAsync(HttpMethod.Post, "/api/v4/posts", noType), 415);
        await expect.Check("no body", t.User.SendAsync(HttpMethod.Post, "/api/v4/posts", (HttpContent?)null), 400);
        expect.Verify();
    }

    [Fact]
    public async Task Invalid_ids_in_urls_are_400_and_unknown_ones_404()
    {
        var t = await TargetAsync();
        var expect = new Expectations();
        var badIds = new[] { "abc", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", new string('a', 27), "aaaaaaaaaaaaaaaaaaaaaaaaa!", "..%2F..%2Fetc", "aaaaaaaaaaaaaaaaaaaaaaaa%20a" };
        foreach (var bad in badIds)
        {
            foreach (var (method, path) in UrlsWithId(t, bad))
            {
                await expect.Check($"{method} {path}", t.User.SendAsync(method, path), 400);
            }
        }
        var unknown = Unique.Suffix().PadRight(26, 'k');
        foreach (var (method, path) in UrlsWithId(t, unknown).Where(u => !u.Path.Contains("/members/", StringComparison.Ordinal) && !u.Path.Contains('?', StringComparison.Ordinal) && !u.Path.StartsWith("/api/v4/users/me/teams/", StringComparison.Ordinal)))
        {
            await expect.Check($"{method} {path}", t.User.SendAsync(method, path, method == HttpMethod.Get || method == HttpMethod.Delete ? null : new { Terms = "x", Message = "x" }), 404);
        }
        await expect.Check("before=unknown", t.User.GetAsync($"/api/v4/channels/{t.ChannelId}/posts?before={unknown}"), 404);
        await expect.Check("after=unknown", t.User.GetAsync($"/api/v4/channels/{t.ChannelId}/posts?after={unknown}"), 404);
        await expect.Check("remove unknown team member", t.User.DeleteAsync($"/api/v4/teams/{t.TeamId}/members/{unknown}"), 404);
        await expect.Check("remove unknown channel member", t.User.DeleteAsync($"/api/v4/channels/{t.ChannelId}/members/{unknown}"), 404);
        await expect.Check("add unknown team member", t.User.PostAsync($"/api/v4/teams/{t.TeamId}/members", new { UserId = unknown }), 404);
        await expect.Check("direct with unknown user", t.User.PostAsync("/api/v4/channels/direct", new[] { t.User.UserId, unknown }), 404);
        // As in Mattermost, listing one's channels in a team one is not in (or that does not exist) is a permission error.
        await expect.Check("my channels in an unknown team", t.User.GetAsync($"/api/v4/users/me/teams/{unknown}/channels"), 403);
        expect.Verify();

        // Kestrel itself refuses a NUL in the path, before any of our code (and so without our headers); still a 400.
        using var raw = new HttpClient();
        using var response = await raw.GetAsync($"{cluster.Api1.BaseUrl}/api/v4/users/%00");
        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task Invalid_ids_in_bodies_are_400()
    {
        var t = await TargetAsync();
        var expect = new Expectations();
        foreach (var bad in new[] { "", "abc", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", new string('a', 27), "aaaaaaaaaaaaaaaaaaaaaaaaa!" })
        {
            if (bad.Length > 0)
            {
                await expect.Check($"post root_id '{bad}'", t.User.PostAsync("/api/v4/posts", new { ChannelId = t.ChannelId, Message = "x", RootId = bad }), 400);
                await expect.Check($"users/ids ['{bad}']", t.User.PostAsync("/api/v4/users/ids", new[] { bad }), 400);
                await expect.Check($"posts/ids ['{bad}']", t.User.PostAsync("/api/v4/posts/ids", new[] { t.PostId, bad }), 400);
            }
            await expect.Check($"post channel_id '{bad}'", t.User.PostAsync("/api/v4/posts", new { ChannelId = bad, Message = "x" }), 400);
            await expect.Check($"channel team_id '{bad}'", t.User.PostAsync("/api/v4/channels", new { TeamId = bad, Name = Unique.ChannelName(), DisplayName = "x" }), 400);
            await expect.Check($"team member user_id '{bad}'", t.User.PostAsync($"/api/v4/teams/{t.TeamId}/members", new { UserId = bad }), 400);
            await expect.Check($"channel member user_id '{bad}'", t.User.PostAsync($"/api/v4/channels/{t.ChannelId}/members", new { UserId = bad }), 400);
            await expect.Check($"direct ['{bad}']", t.User.PostAsync("/api/v4/channels/direct", new[] { t.User.UserId, bad }), 400);
        }
        await expect.Check("team member with another team's id", t.User.PostAsync($"/api/v4/teams/{t.TeamId}/members", new { TeamId = Unique.Suffix().PadRight(26, 'z'), t.User.UserId }), 400);
        await expect.Check("direct with three users", t.User.PostAsync("/api/v4/channels/direct", new[] { t.User.UserId, t.User.UserId, t.User.UserId }), 400);
        await expect.Check("direct with one user", t.User.PostAsync("/api/v4/channels/direct", new[] { t.User.UserId }), 400);
        await expect.Check("users/ids empty", t.User.PostAsync("/api/v4/users/ids", Array.Empty<string>()), 400);
        await expect.Check("users/ids 1001", t.User.PostAsync("/api/v4/users/ids", Enumerable.Repeat(t.User.UserId, 1001).ToArray()), 400);
        expect.Verify();
    }

    [Fact]
    public async Task Empty_and_over_long_names_and_messages_are_400()
    {
        var t = await TargetAsync();
        var expect = new Expectations();
        var anonymous = cluster.Anonymous(cluster.Api2);
        var longText = (int n) => new string('a', n);

        object NewUser(string? username = null, string? email = null, string? password = null, string? firstName = null) => new
        {
            Username = username ?? Unique.Username(),
            Email = email ?? $"{Unique.Username()}@example.com",
            Password = password ?? ApiClient.DefaultPassword,
            FirstName = firstName ?? "",
        };
        foreach (var username in new[] { "", "   ", "ab", "a" + longText(22), "1abc", "al ice", "all", "here", "ali\u00e7e" })
        {
            await expect.Check($"username '{username}'", anonymous.PostAsync("/api/v4/users", NewUser(username: username)), 400);
        }
        foreach (var email in new[] { "", "nope", "a@", "@b.co", longText(120) + "@example.com", "a b@c.de", "Name <a@b.co>" })
        {
            await expect.Check($"email '{email}'", anonymous.PostAsync("/api/v4/users", NewUser(email: email)), 400);
        }
        foreach (var password in new[] { "", "short", longText(257) })
        {
            await expect.Check($"password of {password.Length}", anonymous.PostAsync("/api/v4/users", NewUser(password: password)), 400);
        }
        await expect.Check("first_name of 65", anonymous.PostAsync("/api/v4/users", NewUser(firstName: longText(65))), 400);
        await expect.Check("login_id empty", anonymous.PostAsync("/api/v4/users/login", new { LoginId = "", Password = "x" }), 401);
        await expect.Check("login_id of 200", anonymous.PostAsync("/api/v4/users/login", new { LoginId = longText(200), Password = "x" }), 401);
        await expect.Check("username lookup of 100", t.User.GetAsync($"/api/v4/users/username/{longText(100)}"), 400);

        foreach (var name in new[] { "", "a", "a" + longText(64), "Upper", "under_score", "-dash", "admin", "api", "with space" })
        {
            await expect.Check($"team name '{name}'", t.User.PostAsync("/api/v4/teams", new { Name = name, DisplayName = "x" }), 400);
        }
        foreach (var display in new[] { "", "   ", longText(65) })
        {
            await expect.Check($"team display_name of {display.Length}", t.User.PostAsync("/api/v4/teams", new { Name = Unique.TeamName(), DisplayName = display }), 400);
        }
        await expect.Check("team type X", t.User.PostAsync("/api/v4/teams", new { Name = Unique.TeamName(), DisplayName = "x", Type = "X" }), 400);
        await expect.Check("team description of 256", t.User.PostAsync("/api/v4/teams", new { Name = Unique.TeamName(), DisplayName = "x", Description = longText(256) }), 400);

        object NewChannel(string? name = null, string display = "x", string type = "O", string purpose = "", string header = "") =>
            new { t.TeamId, Name = name ?? Unique.ChannelName(), DisplayName = display, Type = type, Purpose = purpose, Header = header };
        foreach (var name in new[] { "", "a" + longText(64), "Upper", "a__b", "-x", "sp ace" })
        {
            await expect.Check($"channel name '{name}'", t.User.PostAsync("/api/v4/channels", NewChannel(name: name)), 400);
        }
        await expect.Check("channel display_name empty", t.User.PostAsync("/api/v4/channels", NewChannel(display: "")), 400);
        await expect.Check("channel display_name of 65", t.User.PostAsync("/api/v4/channels", NewChannel(display: longText(65))), 400);
        await expect.Check("channel purpose of 251", t.User.PostAsync("/api/v4/channels", NewChannel(purpose: longText(251))), 400);
        await expect.Check("channel header of 1025", t.User.PostAsync("/api/v4/channels", NewChannel(header: longText(1025))), 400);
        foreach (var type in new[] { "D", "G", "X", "" })
        {
            await expect.Check($"channel type '{type}'", t.User.PostAsync("/api/v4/channels", NewChannel(type: type)), 400);
        }

        // Message length counts characters (runes), not UTF-16 units or bytes.
        var emoji = "\U0001F600";
        foreach (var message in new[] { "", "   ", "\n\t", longText(MaxPostRunes + 1), string.Concat(Enumerable.Repeat(emoji, MaxPostRunes + 1)) })
        {
            await expect.Check($"message of {message.Length} chars", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = message }), 400);
            await expect.Check($"patch message of {message.Length} chars", t.User.PutAsync($"/api/v4/posts/{t.PostId}/patch", new { Message = message }), 400);
        }
        await expect.Check("message of the maximum length", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = longText(MaxPostRunes) }), 201);
        await expect.Check("emoji message of the maximum length", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = string.Concat(Enumerable.Repeat(emoji, MaxPostRunes)) }), 201);
        await expect.Check("system post type", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = "x", Type = "system_join_channel" }), 400);
        await expect.Check("custom post type", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = "x", Type = "custom_poll" }), 201);
        await expect.Check("pending_post_id of 65", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = "x", PendingPostId = longText(65) }), 400);

        var search = $"/api/v4/teams/{t.TeamId}/posts/search";
        foreach (var terms in new[] { "", "   ", "\"\"", longText(65), string.Join(' ', Enumerable.Range(0, 33).Select(i => $"t{i}")), longText(1025) })
        {
            await expect.Check($"search terms of {terms.Length}", t.User.PostAsync(search, new { Terms = terms }), 400);
        }
        expect.Verify();
    }

    [Fact]
    public async Task Nul_and_control_characters_are_refused_not_crashed_on()
    {
        var t = await TargetAsync();
        var expect = new Expectations();
        var nul = "a\u0000b";
        await expect.Check("message with NUL", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = nul }), 400);
        await expect.Check("patch with NUL", t.User.PutAsync($"/api/v4/posts/{t.PostId}/patch", new { Message = nul }), 400);
        await expect.Check("props with NUL", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = "x", Props = new { note = nul } }), 400);
        await expect.Check("team display_name with NUL", t.User.PostAsync("/api/v4/teams", new { Name = Unique.TeamName(), DisplayName = nul }), 400);
        await expect.Check("channel purpose with NUL", t.User.PostAsync("/api/v4/channels", new { t.TeamId, Name = Unique.ChannelName(), DisplayName = "x", Purpose = nul }), 400);
        await expect.Check("first_name with NUL", cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/users", new { Username = Unique.Username(), Email = $"{Unique.Username()}@example.com", Password = ApiClient.DefaultPassword, FirstName = nul }), 400);
        await expect.Check("login_id with NUL", cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/users/login", new { LoginId = nul, Password = "whatever-it-is" }), 400);
        await expect.Check("search with NUL", t.User.PostAsync($"/api/v4/teams/{t.TeamId}/posts/search", new { Terms = nul }), 400);
        await expect.Check("device_id with NUL", cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/users/login", new { LoginId = t.User.Username, Password = ApiClient.DefaultPassword, DeviceId = nul }), 400);
        // A refused value must leave the node's pooled connections healthy for everyone after it.
        for (var i = 0; i < 40; i++)
        {
            await expect.Check($"post {i} after the NUL requests", t.User.PostAsync("/api/v4/posts", new { t.ChannelId, Message = $"after {i}" }), 201);
        }
        expect.Verify();
    }

    [Fact]
    public async Task Bad_paging_and_query_values_are_400()
    {
        var t = await TargetAsync();
        var expect = new Expectations();
        var lists = new[] { "/api/v4/users", $"/api/v4/teams/{t.TeamId}/members", $"/api/v4/channels/{t.ChannelId}/members", $"/api/v4/channels/{t.ChannelId}/posts" };
        foreach (var list in lists)
        {
            foreach (var query in new[] { "page=-1", "page=abc", "page=100001", "page=99999999999", "per_page=0", "per_page=201", "per_page=x", "per_page=1.5" })
            {
                await expect.Check($"{list}?{query}", t.User.GetAsync($"{list}?{query}"), 400);
            }
            await expect.Check($"{list} far past the end", t.User.GetAsync($"{list}?page=100000&per_page=200"), 200);
        }
        await expect.Check("since=-1", t.User.GetAsync($"/api/v4/channels/{t.ChannelId}/posts?since=-1"), 400);
        await expect.Check("since=abc", t.User.GetAsync($"/api/v4/channels/{t.ChannelId}/posts?since=abc"), 400);
        await expect.Check("since=huge", t.User.GetAsync($"/api/v4/channels/{t.ChannelId}/posts?since={long.MaxValue}"), 200);
        await expect.Check("get_server_status=maybe", t.User.GetAsync("/api/v4/system/ping?get_server_status=maybe"), 400);
        await expect.Check("search page -1", t.User.PostAsync($"/api/v4/teams/{t.TeamId}/posts/search", new { Terms = "x", Page = -1 }), 400);
        await expect.Check("search per_page 1000", t.User.PostAsync($"/api/v4/teams/{t.TeamId}/posts/search", new { Terms = "x", PerPage = 1000 }), 400);
        expect.Verify();
    }

    [Fact]
    public async Task Oversized_bodies_are_413()
    {
        var expect = new Expectations();
        var small = cluster.Anonymous(cluster.Restricted);
        var padding = new string('x', ClusterFixture.RestrictedPayloadLimit);
        var oversized = $$"""{"login_id": "{{padding}}", "password": "x"}""";
        await expect.Check("over the limit", small.SendAsync(HttpMethod.Post, "/api/v4/users/login", ApiClient.RawJson(oversized)), 413);
        // Without Content-Length (chunked) the limit applies while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(oversized)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await expect.Check("chunked over the limit", small.SendAsync(HttpMethod.Post, "/api/v4/users/login", chunked, r => r.Headers.TransferEncodingChunked = true), 413);
        var justUnder = $$"""{"login_id": "{{padding[..(ClusterFixture.RestrictedPayloadLimit - 100)]}}", "password": "x"}""";
        await expect.Check("under the limit", small.SendAsync(HttpMethod.Post, "/api/v4/users/login", ApiClient.RawJson(justUnder)), 401);

        // The default limit (300 000 bytes) on the ordinary nodes.
        var t = await TargetAsync();
        var huge = new { t.ChannelId, Message = "x", Props = new { blob = new string('y', 400_000) } };
        await expect.Check("400 kB post", t.User.PostAsync("/api/v4/posts", huge), 413);
        expect.Verify();
    }

    [Fact]
    public async Task Oversized_bodies_through_the_edge_are_413_not_502()
    {
        // The edge buffers a body and sends it on with its length; the node must read it before answering, or the
        // edge fails writing the rest and answers 502 instead.
        await using var edge = await cluster.Cluster.StartEdgeAsync([cluster.Api1, cluster.Api2]);
        var t = await TargetAsync();
        var viaEdge = t.User.On(edge.BaseUrl);
        var huge = new { t.ChannelId, Message = "x", Props = new { blob = new string('y', 20_000_000) } };
        var expect = new Expectations();
        for (var i = 0; i < 10; i++)
        {
            await expect.Check($"20 MB post #{i}", viaEdge.PostAsync("/api/v4/posts", huge), 413);
        }
        expect.Verify();
    }

    [Fact]
    public async Task Unknown_routes_are_404_and_wrong_methods_405()
    {
        var t = await TargetAsync();
        var expect = new Expectations();
        foreach (var path in new[] { "/", "/nope", "/api/v4", "/api/v4/nope", "/api/v5/users/me", "/api/v4/users/me/nope", $"/api/v4/posts/{t.PostId}/nope", "/api/v4/teams/x/y/z" })
        {
            await expect.Check($"GET {path}", t.User.GetAsync(path), 404);
            await expect.Check($"anonymous GET {path}", cluster.Anonymous(cluster.Api2).GetAsync(path), 404);
        }
        var wrong = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Delete, "/api/v4/users"),
            (HttpMethod.Put, "/api/v4/users/login"),
            (HttpMethod.Get, "/api/v4/posts"),
            (HttpMethod.Patch, $"/api/v4/posts/{t.PostId}"),
            (HttpMethod.Post, $"/api/v4/posts/{t.PostId}"),
            (HttpMethod.Get, $"/api/v4/posts/{t.PostId}/patch"),
            (HttpMethod.Put, "/api/v4/system/ping"),
            (HttpMethod.Delete, $"/api/v4/teams/{t.TeamId}"),
            (HttpMethod.Get, $"/api/v4/teams/{t.TeamId}/posts/search"),
        };
        foreach (var (method, path) in wrong)
        {
            await expect.Check($"{method} {path}", t.User.SendAsync(method, path), 405);
        }
        expect.Verify();
    }

    [Fact]
    public async Task Conflicting_concurrent_creates_are_400_not_500()
    {
        var name = Unique.Username();
        var body = new { Username = name, Email = $"{name}@example.com", Password = ApiClient.DefaultPassword };
        var users = await Task.WhenAll(cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/users", body), cluster.Anonymous(cluster.Api2).PostAsync("/api/v4/users", body));
        Assert.Equal([201, 400], users.Select(r => r.Status).Order());

        var t = await TargetAsync();
        var team = new { Name = Unique.TeamName(), DisplayName = "x" };
        var teams = await Task.WhenAll(t.User.PostAsync("/api/v4/teams", team), t.User.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/teams", team));
        Assert.Equal([201, 400], teams.Select(r => r.Status).Order());
        var channel = new { t.TeamId, Name = Unique.ChannelName(), DisplayName = "x" };
        var channels = await Task.WhenAll(t.User.PostAsync("/api/v4/channels", channel), t.User.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/channels", channel));
        Assert.Equal([201, 400], channels.Select(r => r.Status).Order());
    }

    private static IEnumerable<(HttpMethod Method, string Path)> UrlsWithId(Target t, string id) =>
    [
        (HttpMethod.Get, $"/api/v4/users/{id}"),
        (HttpMethod.Get, $"/api/v4/teams/{id}"),
        (HttpMethod.Get, $"/api/v4/teams/{id}/members"),
        (HttpMethod.Delete, $"/api/v4/teams/{t.TeamId}/members/{id}"),
        (HttpMethod.Delete, $"/api/v4/teams/{id}/members/{t.User.UserId}"),
        (HttpMethod.Post, $"/api/v4/teams/{id}/posts/search"),
        (HttpMethod.Get, $"/api/v4/users/me/teams/{id}/channels"),
        (HttpMethod.Get, $"/api/v4/channels/{id}"),
        (HttpMethod.Get, $"/api/v4/channels/{id}/members"),
        (HttpMethod.Delete, $"/api/v4/channels/{t.ChannelId}/members/{id}"),
        (HttpMethod.Delete, $"/api/v4/channels/{id}/members/{t.User.UserId}"),
        (HttpMethod.Get, $"/api/v4/channels/{id}/posts"),
        (HttpMethod.Get, $"/api/v4/channels/{t.ChannelId}/posts?before={id}"),
        (HttpMethod.Get, $"/api/v4/channels/{t.ChannelId}/posts?after={id}"),
        (HttpMethod.Get, $"/api/v4/posts/{id}"),
        (HttpMethod.Put, $"/api/v4/posts/{id}/patch"),
        (HttpMethod.Delete, $"/api/v4/posts/{id}"),
        (HttpMethod.Get, $"/api/v4/channels/{id}/pinned"),
        (HttpMethod.Get, $"/api/v4/channels/{id}/stats"),
        (HttpMethod.Get, $"/api/v4/channels/{id}/member_counts_by_group"),
        (HttpMethod.Get, $"/api/v4/teams/{id}/stats"),
    ];

    /// <summary>A fresh user with a team, a channel and a post, to aim requests at.</summary>
    private async Task<Target> TargetAsync()
    {
        var user = await cluster.NewUserAsync(cluster.Api2, "bad");
        var teamId = await user.CreateTeamAsync();
        var channelId = await user.CreateChannelAsync(teamId);
        var post = await user.CreatePostAsync(channelId, "target");
        return new Target(user, teamId, channelId, post.Id());
    }
}
