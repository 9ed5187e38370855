namespace Chat.IntegrationTests;

/// <summary>
/// Search input as an attacker types it: operators, unicode, huge numbers, empty quotes, the first and last
/// representable days with extreme offsets, deep pages. Each gets a 2xx or a 4xx AppError, never a 5xx (every
/// response passes the ResponseContract, which fails the test on a server error).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HostileSearchTests(ClusterFixture cluster)
{
    private static readonly string[] Corpus =
    [
        "\"\"", "\"", "\"\"\"\"", "'", "''", "*", "**", "a*", "-", "--", "-*", "!", "&", "|", "&&", "||", "!!word", "(", ")",
        "(word", "word)", "<->", "word <-> word", "word:*", ":*", "word:*A", "\\", "\\\\", "%", "_", "%_%", "'; DROP TABLE posts; --",
        "\u0000", "word\u0000", "\u200b", "\ud83d\ude00", "\u0301\u0301\u0301", "\u202eword", "ｗｏｒｄ", "日本語", "שָׁלוֹם", "Ω≈ç√∫",
        "from:", "in:", "on:", "after:", "before:", "from:@", "in:~", "on:0000-00-00", "on:2026-13-01", "on:99999-01-01",
        "after:9999-12-31", "before:0001-01-01", "on:0001-01-01", "on:9999-12-31", "after:-1", "before:1e309",
        "99999999999999999999999999999999", "-99999999999999999999", "1e309", "NaN", "Infinity", "0x7fffffff",
        "word*word*", "*word", "w*o*r*d", "\"unterminated phrase", "\"a\" \"b\" \"c\" \"\"", "from:a from:b from:c in:d in:e",
    ];

    [Fact]
    public async Task Hostile_search_strings_get_only_2xx_or_4xx()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var teamId = await alice.CreateTeamAsync();
        var channelId = await alice.CreateChannelAsync(teamId);
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "word of the day" })).Expect(201);

        foreach (var terms in Corpus)
        {
            foreach (var offset in new long[] { 0, 14 * 3600, -14 * 3600 })
            {
                var response = await alice.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = terms, TimeZoneOffset = offset });
                Assert.True(response.Status is 200 or 400, $"'{terms}' (offset {offset}): {response}");
            }
        }
    }

    [Fact]
    public async Task Impossible_offsets_and_deep_pages_are_400()
    {
        var alice = await cluster.NewUserAsync(cluster.Api2, "alice");
        var teamId = await alice.CreateTeamAsync();
        foreach (var offset in new[] { int.MinValue, int.MaxValue, -2147483649L, 50401 })
        {
            (await alice.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = "word", TimeZoneOffset = offset })).Expect(400);
        }
        (await alice.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = "word", Page = 50, PerPage = 200 })).Expect(400);
        (await alice.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = "word", Page = 49, PerPage = 200 })).Expect(200);
    }
}
