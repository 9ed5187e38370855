using System.Text.Json;
using Chat.Api.Posts;
using Chat.Store.Model;

namespace Chat.UnitTests;

/// <summary>Who a post mentions (Mattermost's mention parser and keywords), and what a batch of posts does to read state.</summary>
public sealed class MentionTests
{
    private static readonly MentionCandidate Alice = Member("alice");
    private static readonly MentionCandidate Bob = Member("bob");
    private static readonly MentionCandidate Carol = Member("carol");

    [Theory]
    [InlineData("@bob")]
    [InlineData("hey @Bob look")]
    [InlineData("thanks @bob.")]
    [InlineData("@bob: see this")]
    [InlineData("@bob, and you?")]
    [InlineData("really @bob?")]
    [InlineData("(@bob)")]
    [InlineData("@bob's idea")]
    [InlineData("@bob!!")]
    [InlineData("**@bob**")]
    [InlineData("line one\n@bob_")]
    public void A_username_mention_may_be_followed_by_punctuation(string message)
    {
        Assert.Equal(["bob"], Find(message, Alice, Bob));
    }

    [Theory]
    [InlineData("mail@bob")]
    [InlineData("@bobby")]
    [InlineData("bob")]
    [InlineData("@bob.smith")]
    [InlineData("say `@bob` in code")]
    [InlineData("```\n@bob\n```")]
    [InlineData("~~~sh\necho @bob\n~~~\n")]
    [InlineData("``@bob``")]
    public void A_username_inside_a_word_or_in_code_is_no_mention(string message)
    {
        Assert.Empty(Find(message, Alice, Bob));
    }

    [Fact]
    public void A_mention_after_code_still_counts()
    {
        Assert.Equal(["bob"], Find("```\nx\n```\nthen @bob and `code`", Alice, Bob));
    }

    [Fact]
    public void Each_user_counts_once_however_often_named()
    {
        Assert.Equal(["bob", "carol"], Find("@bob @bob @carol @BOB", Alice, Bob, Carol));
    }

    [Fact]
    public void Mention_keys_match_in_any_case_and_first_names_only_as_written()
    {
        var dave = Member("dave") with
        {
            FirstName = "Dave",
            UserNotifyProps = new() { ["mention_keys"] = "Deploy, oncall ,", ["first_name"] = "true" },
        };
        Assert.Equal(["dave"], Find("who is ONCALL?", Alice, dave));
        Assert.Equal(["dave"], Find("the deploy-script broke", Alice, dave));
        Assert.Equal(["dave"], Find("Dave, please", Alice, dave));
        Assert.Empty(Find("dave, please", Alice, dave));
        Assert.Empty(Find("Dave, please", Alice, dave with { UserNotifyProps = new() { ["first_name"] = "false" } }));
    }

    [Fact]
    public void Channel_mentions_reach_everyone_who_takes_them()
    {
        var muted = Member("muted") with { MemberNotifyProps = new() { ["mark_unread"] = "mention", ["ignore_channel_mentions"] = "default" } };
        var ignoring = Member("ignoring") with { MemberNotifyProps = new() { ["ignore_channel_mentions"] = "on" } };
        var optedOut = Member("optedout") with { UserNotifyProps = new() { ["channel"] = "false" } };
        var mutedButTakes = Member("takes") with { MemberNotifyProps = new() { ["mark_unread"] = "mention", ["ignore_channel_mentions"] = "off" } };
        MentionCandidate[] members = [Alice, Bob, muted, ignoring, optedOut, mutedButTakes];
        Assert.Equal(["bob", "takes"], Of(Post("@channel news"), ChannelTypes.Open, members));
        Assert.Equal(["bob", "takes"], Of(Post("@ALL: news"), ChannelTypes.Open, members));
        // @here mentions only those online.
        Assert.Empty(Of(Post("@here news"), ChannelTypes.Open, members));
        Assert.Equal(["bob"], Of(Post("@here news"), ChannelTypes.Open, [Alice, Bob with { Online = true }]));
        // Not in a channel as big as TeamSettings.MaxNotificationsPerChannel.
        Assert.Empty(Mentions.Of(Post("@channel news"), ChannelTypes.Open, members, maxNotificationsPerChannel: members.Length));
    }

    [Fact]
    public void Direct_and_group_messages_mention_the_other_members()
    {
        Assert.Equal(["bob"], Of(Post("no names here"), ChannelTypes.Direct, [Alice, Bob]));
        Assert.Empty(Of(Post("a note to self"), ChannelTypes.Direct, [Alice]));
        Assert.Equal(["bob", "carol"], Of(Post("hello group"), ChannelTypes.Group, [Alice, Bob, Carol]));
    }

    [Fact]
    public void Authors_never_mention_themselves()
    {
        Assert.Empty(Of(Post("@alice @channel"), ChannelTypes.Open, [Alice]));
    }

    [Fact]
    public void An_add_to_channel_post_mentions_the_added_user()
    {
        var post = Post("bob added to the channel by alice.") with
        {
            Type = Mentions.AddToChannelPostType,
            Props = new() { ["addedUserId"] = JsonSerializer.SerializeToElement("bob") },
        };
        Assert.Equal(["bob"], Of(post, ChannelTypes.Open, [Alice]));
    }

    [Fact]
    public void The_scope_reads_every_member_only_where_a_post_needs_them()
    {
        var types = new Dictionary<string, string> { ["open"] = ChannelTypes.Open, ["busy"] = ChannelTypes.Open, ["dm"] = ChannelTypes.Direct, ["gm"] = ChannelTypes.Group };
        var scope = Mentions.ScopeOf(
            [Post("hi @Bob. and @carol:", "open"), Post("@channel", "busy"), Post("@bob", "busy"), Post("hi", "dm"), Post("hi @dave", "gm")],
            id => types[id]);
        Assert.Equal(["busy", "dm", "gm"], scope.AllMembers.Order(StringComparer.Ordinal));
        Assert.Equal(["open"], scope.KeywordChannels);
        // "@Bob." may name a user called "bob." as well as bob.
        Assert.Equal(["bob", "bob.", "carol", "dave"], scope.Usernames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_batch_marks_its_authors_read_and_counts_mentions_after_their_last_post()
    {
        Post[] posts =
        [
            Post("@bob one", "c1") with { CreateAt = 10 },
            Post("two", "c1", author: "bob") with { CreateAt = 11 },
            Post("@bob three", "c1") with { CreateAt = 12 },
            Post("a reply", "c1", author: "carol") with { CreateAt = 13, RootId = "root1" },
            Post("@bob elsewhere", "c2") with { CreateAt = 14 },
            Post("from a hook", "c2", author: "hook") with { CreateAt = 15, Props = new() { ["from_webhook"] = JsonSerializer.SerializeToElement("true") } },
        ];
        IReadOnlySet<string>[] mentioned = [new HashSet<string> { "bob" }, new HashSet<string>(), new HashSet<string> { "bob" }, new HashSet<string>(), new HashSet<string> { "bob" }, new HashSet<string>()];

        var updates = Mentions.ReadUpdates(posts, mentioned).ToDictionary(u => (u.ChannelId, u.UserId));

        // alice read c1 at her post 12, then carol's reply came.
        Assert.Equal(new MemberReadUpdate("c1", "alice", true, 12, 1, 0, 0, 0), updates[("c1", "alice")]);
        // bob read c1 at his post 11: the mention before it is read too, the one after counts.
        Assert.Equal(new MemberReadUpdate("c1", "bob", true, 11, 2, 1, 1, 1), updates[("c1", "bob")]);
        Assert.Equal(new MemberReadUpdate("c1", "carol", true, 13, 0, 0, 0, 0), updates[("c1", "carol")]);
        Assert.Equal(new MemberReadUpdate("c2", "bob", false, 0, 0, 0, 1, 1), updates[("c2", "bob")]);
        Assert.Equal(new MemberReadUpdate("c2", "alice", true, 14, 1, 1, 0, 0), updates[("c2", "alice")]);
        Assert.False(updates.ContainsKey(("c2", "hook")), "webhook posts do not mark the channel read");
        Assert.Equal(5, updates.Count);
    }

    private static MentionCandidate Member(string name) => new()
    {
        ChannelId = "open",
        UserId = name,
        Username = name,
        UserNotifyProps = new() { ["channel"] = "true", ["first_name"] = "false", ["mention_keys"] = "" },
        MemberNotifyProps = ChannelMember.DefaultNotifyProps(),
    };

    private static Post Post(string message, string channelId = "open", string author = "alice") =>
        new() { Id = "p-" + message, ChannelId = channelId, UserId = author, Message = message };

    private static List<string> Find(string message, params MentionCandidate[] members) =>
        [.. MentionParser.Find(message, Mentions.Keywords(members, allowChannelMentions: true)).UserIds.Order(StringComparer.Ordinal)];

    private static List<string> Of(Post post, string channelType, MentionCandidate[] members) =>
        [.. Mentions.Of(post, channelType, members, maxNotificationsPerChannel: 1000).Order(StringComparer.Ordinal)];
}
