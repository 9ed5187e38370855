using Chat.Store.Model;

namespace Chat.UnitTests;

/// <summary>Emoji and reaction names: Mattermost's system list shipped as data, its name rule, and custom names in text.</summary>
public sealed class EmojiRulesTests
{
    [Theory]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("100")]
    [InlineData("smile")]
    [InlineData("thumbsup")]
    [InlineData("star-struck")]
    [InlineData("white_check_mark")]
    [InlineData("+1_light_skin_tone")]
    public void Mattermosts_system_names_are_known(string name) => Assert.True(Emoji.SystemNames.Contains(name), name);

    [Fact]
    public void The_system_list_is_the_whole_list_and_every_name_but_one_alias_has_the_name_form()
    {
        Assert.True(Emoji.SystemNames.Count > 3000, $"only {Emoji.SystemNames.Count} system emoji names");
        // Mattermost's list has "thank you" (an alias of pray), which no reaction can use: a space is not allowed.
        Assert.Equal(["thank you"], Emoji.SystemNames.Where(n => !Emoji.IsValidName(n)));
    }

    [Theory]
    [InlineData("party_parrot", true)]
    [InlineData("a-b+c_9", true)]
    [InlineData("", false)]
    [InlineData("no space", false)]
    [InlineData("colon:", false)]
    [InlineData("é", false)]
    public void Names_are_letters_digits_and_plus_minus_underscore(string name, bool valid)
    {
        Assert.Equal(valid, Emoji.IsValidName(name));
        Assert.Equal(valid, Reaction.IsValidName(name) is null);
    }

    [Fact]
    public void Names_are_at_most_64_characters() =>
        Assert.Equal([true, false], new[] { new string('a', 64), new string('a', 65) }.Select(Emoji.IsValidName));

    [Fact]
    public void A_message_shows_the_custom_names_between_colons_once_each_and_no_system_name()
    {
        Assert.Equal(["team-logo", "ship-it-now"], Emoji.CustomNamesIn("look :team-logo: :smile: :ship-it-now: again :team-logo: and a:b"));
        Assert.Empty(Emoji.CustomNamesIn("no emoji here"));
    }
}
