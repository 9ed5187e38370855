using Chat.Api.Posts;
using Chat.ServiceDefaults;

namespace Chat.UnitTests;

public sealed class SearchTermsTests
{
    [Fact]
    public void Words_phrases_exclusions_and_prefixes_become_the_full_text_query()
    {
        var search = SearchTerms.Parse("  deploy \"release notes\" -staging  roll* \"unclosed phrase", any: false, 0);
        Assert.Equal("deploy \"release notes\" -staging \"unclosed phrase\"", search.Text);
        Assert.Equal(["roll"], search.Prefixes);
        Assert.True(search.AllPrefixes);

        var any = SearchTerms.Parse("alpha beta gam*", any: true, 0);
        Assert.Equal("alpha or beta", any.Text);
        Assert.False(any.AllPrefixes);
    }

    [Fact]
    public void Modifiers_narrow_by_author_channel_and_day_in_the_clients_time_zone()
    {
        var search = SearchTerms.Parse("from:@Alice FROM:bob in:~town-square channel:Off-Topic on:2026-03-10 hello", any: false, 3600);
        Assert.Equal(["alice", "bob"], search.FromUsers);
        Assert.Equal(["town-square", "off-topic"], search.InChannels);
        Assert.Equal("hello", search.Text);
        // 2026-03-10T00:00+01:00 up to the next midnight there.
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 23, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), search.CreatedFrom);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 23, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), search.CreatedBefore);

        // after: and before: exclude the day they name; a word with a colon is just a word.
        var range = SearchTerms.Parse("after:2026-01-01 before:2026-01-03 note:taking", any: false, 0);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), range.CreatedFrom);
        Assert.Equal(new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), range.CreatedBefore);
        Assert.Equal("note:taking", range.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\"\"")]
    [InlineData("*")]
    [InlineData("from:")]
    [InlineData("on:2026-02-30")]
    [InlineData("after:tomorrow")]
    [InlineData("a*")]
    [InlineData("-*")]
    public void Empty_or_malformed_searches_are_400(string terms)
    {
        var error = Assert.Throws<AppErrorException>(() => SearchTerms.Parse(terms, any: false, 0));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("api.post.search_posts.invalid_terms.app_error", error.Id);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(15 * 3600)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void Impossible_time_zone_offsets_are_400(int offset) =>
        Assert.Equal(400, Assert.Throws<AppErrorException>(() => SearchTerms.Parse("x", any: false, offset)).StatusCode);

    [Fact]
    public void Too_many_or_too_long_terms_are_400()
    {
        Assert.Throws<AppErrorException>(() => SearchTerms.Parse(string.Join(' ', Enumerable.Repeat("w", SearchTerms.MaxTokens + 1)), false, 0));
        Assert.Throws<AppErrorException>(() => SearchTerms.Parse(new string('w', SearchTerms.MaxTokenLength + 1), false, 0));
        Assert.Throws<AppErrorException>(() => SearchTerms.Parse(new string('w', SearchTerms.MaxWordLength + 1), false, 0));
        Assert.Throws<AppErrorException>(() => SearchTerms.Parse("in:" + new string('c', SearchTerms.MaxWordLength + 1), false, 0));
        Assert.Equal("\"" + new string('w', SearchTerms.MaxWordLength) + " x\"", SearchTerms.Parse("\"" + new string('w', SearchTerms.MaxWordLength) + " x\"", false, 0).Text);
        Assert.Throws<AppErrorException>(() => SearchTerms.Parse(new string('w', SearchTerms.MaxLength + 1), false, 0));
    }

    [Theory]
    [InlineData("after:9999-12-31", 0)]
    [InlineData("before:0001-01-01", 14 * 3600)]
    [InlineData("on:0001-01-01", -14 * 3600)]
    [InlineData("on:9999-12-31", 14 * 3600)]
    public void The_first_and_last_days_are_bounds_like_any_other(string terms, int offset)
    {
        var search = SearchTerms.Parse($"word {terms}", any: false, offset);
        Assert.True(search.CreatedFrom is not null || search.CreatedBefore is not null);
    }
}
