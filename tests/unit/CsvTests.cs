using Chat.Jobs.Export;

namespace Chat.UnitTests;

public sealed class CsvTests
{
    [Fact]
    public void Fields_are_quoted_as_RFC_4180_says()
    {
        Assert.Equal("a,\"b,c\",\"say \"\"hi\"\"\",\"two\r\nlines\",\r\n", Csv.Line(["a", "b,c", "say \"hi\"", "two\r\nlines", ""]));
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"click\")", "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("a=b", "a=b")]
    public void Fields_a_spreadsheet_would_run_as_formulas_are_kept_as_text(string field, string written)
    {
        Assert.Equal(written + "\r\n", Csv.Line([field]));
    }
}
