using Chat.Api.Authorization;
using Chat.ServiceDefaults;

namespace Chat.UnitTests;

public sealed class InputTests
{
    [Fact]
    public void Id_returns_valid_ids_and_names_the_parameter_of_invalid_ones()
    {
        Assert.Equal("abcdefghijklmnopqrstuvwxyz", Input.Id("abcdefghijklmnopqrstuvwxyz", "team_id"));
        foreach (var bad in new[] { null, "", "short", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz0" })
        {
            var error = Assert.Throws<AppErrorException>(() => Input.Id(bad, "team_id"));
            Assert.Equal(400, error.StatusCode);
            Assert.Equal("api.context.invalid_param.app_error", error.Id);
            Assert.Contains("team_id", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null, null, 0, Input.DefaultPerPage)]
    [InlineData(0, 1, 0, 1)]
    [InlineData(3, 200, 3, 200)]
    [InlineData(100_000, 10, 100_000, 10)]
    public void Paging_defaults_and_accepts_the_allowed_range(int? page, int? perPage, int expectedPage, int expectedPerPage) =>
        Assert.Equal((expectedPage, expectedPerPage), Input.Paging(page, perPage));

    [Theory]
    [InlineData(-1, null, "page")]
    [InlineData(100_001, null, "page")]
    [InlineData(int.MinValue, null, "page")]
    [InlineData(null, 0, "per_page")]
    [InlineData(null, -5, "per_page")]
    [InlineData(null, Input.MaxPerPage + 1, "per_page")]
    public void Paging_names_the_parameter_out_of_range(int? page, int? perPage, string parameter)
    {
        var error = Assert.Throws<AppErrorException>(() => Input.Paging(page, perPage));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal($"Invalid {parameter} parameter.", error.Message);
    }

    [Fact]
    public void Body_is_required()
    {
        var body = new object();
        Assert.Same(body, Input.Body(body));
        var error = Assert.Throws<AppErrorException>(() => Input.Body<object>(null));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("api.context.invalid_body_param.app_error", error.Id);
    }

    [Theory]
    [InlineData("  Town Square  ", 1, 64, "Town Square")]
    [InlineData(null, 0, 10, "")]
    [InlineData("   ", 0, 10, "")]
    [InlineData("exactly10!", 1, 10, "exactly10!")]
    [InlineData("  exactly10!  ", 1, 10, "exactly10!")]
    public void Text_is_trimmed_and_kept_within_bounds(string? value, int min, int max, string expected) =>
        Assert.Equal(expected, Input.Text(value, "display_name", min, max));

    [Theory]
    [InlineData(null, 1, 64)]
    [InlineData("", 1, 64)]
    [InlineData("   ", 1, 64)]
    [InlineData("eleven char", 1, 10)]
    public void Text_out_of_bounds_names_the_field(string? value, int min, int max)
    {
        var error = Assert.Throws<AppErrorException>(() => Input.Text(value, "display_name", min, max));
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("display_name", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{min} to {max}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("1", true)]
    [InlineData("t", true)]
    [InlineData("false", false)]
    [InlineData("yes", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Flag_reads_query_booleans_as_go_does_and_anything_else_as_false(string? value, bool expected) =>
        Assert.Equal(expected, Input.Flag(value));
}
