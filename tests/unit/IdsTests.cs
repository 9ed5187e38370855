using Chat.Store.Model;

namespace Chat.UnitTests;

public sealed class IdsTests
{
    private const string Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";

    public static TheoryData<string> Generators => ["id", "token"];

    private static string Generate(string kind) => kind == "id" ? Ids.New() : Ids.NewToken();

    [Theory]
    [MemberData(nameof(Generators))]
    public void Are_26_characters_of_the_mattermost_alphabet(string kind)
    {
        for (var i = 0; i < 1000; i++)
        {
            var id = Generate(kind);
            Assert.Equal(Ids.Length, id.Length);
            Assert.All(id, c => Assert.Contains(c, Alphabet));
            Assert.True(Ids.IsValid(id));
            // 128 bits fill 25 characters and the top 3 bits of the last one, as base32 without padding does.
            Assert.Equal(0, Alphabet.IndexOf(id[^1], StringComparison.Ordinal) % 4);
        }
    }

    [Theory]
    [MemberData(nameof(Generators))]
    public void Do_not_repeat(string kind)
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => Generate(kind)).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Use_every_character_of_the_alphabet()
    {
        var seen = string.Concat(Enumerable.Range(0, 200).Select(_ => Ids.NewToken())).ToHashSet();
        Assert.Equal(Alphabet.Order(), seen.Order());
    }

    [Theory]
    [InlineData("abcdefghijklmnopqrstuvwxyz", true)]
    [InlineData("0123456789abcdefghijklmnop", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("abcdefghijklmnopqrstuvwxy", false)]
    [InlineData("abcdefghijklmnopqrstuvwxyza", false)]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ", false)]
    [InlineData("abcdefghijklmnopqrstuvwxy-", false)]
    [InlineData("abcdefghijklmnopqrstuvwxy ", false)]
    [InlineData("abcdefghijklmnopqrstuvwxyé", false)]
    public void Validate_length_and_characters(string? id, bool valid) => Assert.Equal(valid, Ids.IsValid(id));
}
