using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.UnitTests;

/// <summary>The model's IsValid rules: Mattermost's model.*.is_valid error ids, with the messages clients have always had.</summary>
public sealed class ModelRulesTests
{
    private const string UsernameMessage = "Username must begin with a letter, and contain between 3 to 22 lowercase characters made up of numbers, letters, and the symbols '.', '-', and '_'.";
    private const string BotUsernameMessage = "A bot's username must begin with a letter, and contain between 3 to 22 lowercase characters made up of numbers, letters, and the symbols '.', '-', and '_'.";

    private static User UserNamed(string username, string email = "someone@example.com", bool bot = false) =>
        new() { Id = Ids.New(), Username = username, Email = email, IsBot = bot };

    private static void AssertBadRequest(AppErrorException? error, string id, string message)
    {
        Assert.NotNull(error);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(id, error.Id);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("a.b-c_d")]
    [InlineData("abcdefghijklmnopqrstuv")]
    public void Valid_usernames_pass(string username) => Assert.Null(UserNamed(username).IsValid());

    [Theory]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("1abc")]
    [InlineData("_abc")]
    [InlineData("Alice")]
    [InlineData("al ice")]
    [InlineData("abcdefghijklmnopqrstuvw")]
    [InlineData("system")]
    [InlineData("here")]
    public void Invalid_usernames_name_the_username_rule(string username)
    {
        AssertBadRequest(UserNamed(username).IsValid(), "model.user.is_valid.username.app_error", UsernameMessage);
        AssertBadRequest(UserNamed(username, $"{username}@localhost", bot: true).IsValid(), "model.user.is_valid.username.app_error", BotUsernameMessage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-address")]
    [InlineData("Alice <alice@example.com>")]
    [InlineData("a..b@example.com")]
    public void Invalid_emails_name_the_email_rule(string email) =>
        AssertBadRequest(UserNamed("alice", email).IsValid(), "model.user.is_valid.email.app_error", "Please enter a valid email address.");

    [Fact]
    public void The_username_rule_comes_before_the_email_rule_and_a_bot_keeps_its_placeholder_address()
    {
        Assert.Equal("model.user.is_valid.username.app_error", UserNamed("x", "bad").IsValid()?.Id);
        Assert.Equal("model.user.is_valid.email.app_error", UserNamed("a..b", "a..b@localhost").IsValid()?.Id);
        Assert.Null(UserNamed("a..b", "a..b@localhost", bot: true).IsValid());
        Assert.Equal("model.user.is_valid.email.app_error", UserNamed("a..b", "a..b@example.com", bot: true).IsValid()?.Id);
    }

    [Fact]
    public void Usernames_and_emails_are_normalized_before_they_are_checked()
    {
        Assert.Equal("alice", User.NormalizeUsername("  Alice "));
        Assert.Equal("", User.NormalizeUsername(null));
        Assert.Equal("alice@example.com", User.NormalizeEmail(" Alice@Example.COM "));
    }

    [Fact]
    public void Passwords_are_between_the_minimum_and_256_characters()
    {
        Assert.Null(User.IsValidPassword(new string('p', 8), 8));
        Assert.Null(User.IsValidPassword(new string('p', 256), 8));
        foreach (var password in new[] { "", new string('p', 7), new string('p', 257) })
        {
            AssertBadRequest(User.IsValidPassword(password, 8), "model.user.is_valid.pwd.app_error", "Your password must contain between 8 and 256 characters.");
        }
    }

    [Theory]
    [InlineData("ab", "O")]
    [InlineData("eng-team-2", "I")]
    public void Valid_teams_pass(string name, string type) => Assert.Null(new Team { Id = Ids.New(), Name = name, DisplayName = "x", Type = type }.IsValid());

    [Theory]
    [InlineData("a")]
    [InlineData("2eng")]
    [InlineData("Eng")]
    [InlineData("eng_team")]
    [InlineData("api")]
    [InlineData("plugins")]
    public void Invalid_team_names_name_the_url_rule(string name) =>
        AssertBadRequest(new Team { Id = Ids.New(), Name = name, DisplayName = "x", Type = "X" }.IsValid(), "model.team.is_valid.url.app_error",
            "Team name must be 2 to 64 lowercase letters, numbers or '-', begin with a letter, and not be a reserved word.");

    [Fact]
    public void A_team_is_open_or_invite_only() =>
        AssertBadRequest(new Team { Id = Ids.New(), Name = "eng", DisplayName = "x", Type = "P" }.IsValid(), "model.team.is_valid.type.app_error",
            "Team type must be 'O' (open) or 'I' (invite only).");

    [Theory]
    [InlineData("a", "O")]
    [InlineData("town-square", "O")]
    [InlineData("9_lives", "P")]
    public void Valid_channels_pass(string name, string type) => Assert.Null(new Channel { Id = Ids.New(), Name = name, Type = type }.IsValid());

    [Theory]
    [InlineData("")]
    [InlineData("-news")]
    [InlineData("News")]
    [InlineData("a__b")]
    [InlineData("has space")]
    public void Invalid_channel_names_name_the_name_rule(string name) =>
        AssertBadRequest(new Channel { Id = Ids.New(), Name = name, Type = ChannelTypes.Open }.IsValid(), "model.channel.is_valid.name.app_error",
            "Channel name must be 1 to 64 lowercase letters, numbers, '-' or '_' and begin with a letter or number.");

    [Fact]
    public void A_channel_name_has_at_most_64_characters()
    {
        Assert.Null(new Channel { Id = Ids.New(), Name = new string('a', 64), Type = ChannelTypes.Open }.IsValid());
        Assert.Equal("model.channel.is_valid.name.app_error", new Channel { Id = Ids.New(), Name = new string('a', 65), Type = ChannelTypes.Open }.IsValid()?.Id);
    }

    [Fact]
    public void A_group_channel_is_named_by_the_hash_of_its_sorted_member_ids_and_shown_by_their_sorted_usernames()
    {
        // sha1("aaabbbccc"), whatever the order the ids come in.
        Assert.Equal("395e4981d467d1bd120dfb708ed4e3869c34bc04", Channel.GroupName(["ccc", "aaa", "bbb"]));
        Assert.Equal("ann, bob, cy", Channel.GroupDisplayName(["cy", "ann", "bob"]));
        Assert.Equal(64, Channel.GroupDisplayName(Enumerable.Range(0, 8).Select(i => $"user{i}-with-a-long-name")).Length);
    }

    [Theory]
    [InlineData(ChannelTypes.Direct)]
    [InlineData(ChannelTypes.Group)]
    [InlineData("X")]
    public void A_client_defines_only_open_or_private_channels_and_the_type_rule_comes_first(string type) =>
        AssertBadRequest(new Channel { Id = Ids.New(), Name = "a__b", Type = type }.IsValid(), "model.channel.is_valid.type.app_error",
            "Channel type must be 'O' (public) or 'P' (private).");

    [Theory]
    [InlineData("hello", true)]
    [InlineData("héllo", true)]
    [InlineData("😀😀😀😀😀", true)]
    [InlineData("😀😀😀😀😀😀", false)]
    [InlineData("", false)]
    [InlineData(" \n\t ", false)]
    public void A_message_is_not_blank_and_counts_characters_not_utf16_units(string message, bool valid)
    {
        var error = new Post { Id = Ids.New(), UserId = Ids.New(), ChannelId = Ids.New(), Message = message }.IsValid(5);
        if (valid)
        {
            Assert.Null(error);
        }
        else
        {
            AssertBadRequest(error, "model.post.is_valid.msg.app_error", "A message must have 1 to 5 characters.");
        }
    }
}
