using System.Text.Json;
using Chat.Store.Model;

namespace Chat.Api.Posts;

/// <summary>
/// Whom a post mentions and what a batch of posts does to its channels' members (Mattermost's
/// getExplicitMentionsAndKeywords and MarkChannelsAsViewed): a direct message mentions the other member, a group
/// message every other member, and any other post the members it names (<see cref="MentionParser"/>) or, with
/// @channel/@all/@here, every member who takes channel mentions. A system_add_to_channel post mentions the added
/// user. Nobody mentions themselves; each user counts once per post.
/// </summary>
public static class Mentions
{
    public const string AddToChannelPostType = "system_add_to_channel";

    /// <summary>What the posts of a batch need read to find their mentions (channel type by channel id).</summary>
    public static MentionScope ScopeOf(IEnumerable<Post> posts, Func<string, string> channelType)
    {
        var all = new HashSet<string>(StringComparer.Ordinal);
        var keyword = new HashSet<string>(StringComparer.Ordinal);
        var usernames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var post in posts)
        {
            var type = channelType(post.ChannelId);
            if (type == ChannelTypes.Direct)
            {
                all.Add(post.ChannelId);
                continue;
            }
            if (type != ChannelTypes.Group && !post.Message.Contains('@'))
            {
                // Names no user nor the channel: only keywords of the members' own may match.
                keyword.Add(post.ChannelId);
                continue;
            }
            var forms = MentionParser.CandidateForms(post.Message);
            usernames.UnionWith(MentionParser.CandidateUsernames(forms));
            (type == ChannelTypes.Group || forms.Any(MentionParser.IsChannelWide) ? all : keyword).Add(post.ChannelId);
        }
        keyword.ExceptWith(all);
        return new MentionScope([.. all], [.. keyword], [.. usernames]);
    }

    /// <summary>
    /// The users <paramref name="post"/> mentions among <paramref name="members"/>: the channel's active members that
    /// its <see cref="ScopeOf"/> read. Channel mentions count only in channels with fewer members than
    /// TeamSettings.MaxNotificationsPerChannel.
    /// </summary>
    public static HashSet<string> Of(Post post, string channelType, IReadOnlyList<MentionCandidate> members, int maxNotificationsPerChannel)
    {
        var mentioned = new HashSet<string>(StringComparer.Ordinal);
        if (channelType == ChannelTypes.Direct)
        {
            mentioned.UnionWith(members.Select(m => m.UserId));
        }
        else
        {
            if (members.Count > 0)
            {
                mentioned.UnionWith(MentionParser.Find(post.Message, Keywords(members, members.Count < maxNotificationsPerChannel)).UserIds);
            }
            if (channelType == ChannelTypes.Group)
            {
                mentioned.UnionWith(members.Select(m => m.UserId));
            }
            if (post.Type == AddToChannelPostType && post.Props.TryGetValue("addedUserId", out var added) && added.ValueKind == JsonValueKind.String)
            {
                mentioned.Add(added.GetString()!);
            }
        }
        mentioned.Remove(post.UserId);
        return mentioned;
    }

    /// <summary>
    /// Mattermost's mention keywords of a channel's members: <c>@username</c>, the user's mention_keys, their first
    /// name when notify_props.first_name is "true", and, when <paramref name="allowChannelMentions"/>, @channel and
    /// @all (and @here while online) for users who take channel mentions (notify_props.channel, "true" by default)
    /// in a channel where they do not ignore them (ignore_channel_mentions "on", or "default" in a muted channel).
    /// </summary>
    public static Dictionary<string, List<string>> Keywords(IEnumerable<MentionCandidate> members, bool allowChannelMentions)
    {
        var keywords = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string keyword, string userId)
        {
            if (!keywords.TryGetValue(keyword, out var ids))
            {
                keywords[keyword] = ids = [];
            }
            ids.Add(userId);
        }
        foreach (var member in members)
        {
            var user = member.UserNotifyProps;
            Add("@" + member.Username.ToLowerInvariant(), member.UserId);
            foreach (var key in user.GetValueOrDefault("mention_keys", "").Split(','))
            {
                if (key.Trim() is { Length: > 0 } trimmed)
                {
                    Add(trimmed.ToLowerInvariant(), member.UserId);
                }
            }
            if (user.GetValueOrDefault("first_name") == "true" && member.FirstName.Length > 0)
            {
                Add(member.FirstName, member.UserId);
            }
            if (allowChannelMentions)
            {
                var ignore = member.MemberNotifyProps.GetValueOrDefault("ignore_channel_mentions", "default");
                var ignored = ignore == "on" || (ignore == "default" && member.MemberNotifyProps.GetValueOrDefault("mark_unread") == "mention");
                if (user.GetValueOrDefault("channel", "true") == "true" && !ignored)
                {
                    Add("@channel", member.UserId);
                    Add("@all", member.UserId);
                    if (member.Online)
                    {
                        Add("@here", member.UserId);
                    }
                }
            }
        }
        return keywords;
    }

    /// <summary>
    /// Posts mark their channel read for their author, except system posts and webhook and bot posts (Mattermost's from_webhook and
    /// from_bot props).
    /// </summary>
    public static bool ViewsChannel(Post post) =>
        // A system post (a join, a leave, an archive notice) is the server's, not something its author wrote and saw.
        !post.Type.StartsWith("system_", StringComparison.Ordinal)
        && !post.Props.ContainsKey("from_webhook") && !post.Props.ContainsKey("from_bot");

    /// <summary>
    /// What a batch of posts (in their commit order) does to the members' read state: per member of a channel, the
    /// channel read up to the member's last post of the batch, then one mention per later post that mentions them.
    /// </summary>
    public static List<MemberReadUpdate> ReadUpdates(IReadOnlyList<Post> posts, IReadOnlyList<IReadOnlySet<string>> mentioned)
    {
        var updates = new List<MemberReadUpdate>();
        foreach (var channel in posts.Select((post, i) => (post, i)).GroupBy(p => p.post.ChannelId))
        {
            var members = new Dictionary<string, MemberReadUpdate>(StringComparer.Ordinal);
            foreach (var (post, i) in channel)
            {
                var root = post.RootId.Length == 0 ? 1 : 0;
                foreach (var (userId, member) in members.Where(m => m.Value.Viewed).ToList())
                {
                    members[userId] = member with { PostsAfter = member.PostsAfter + 1, RootPostsAfter = member.RootPostsAfter + root };
                }
                foreach (var userId in mentioned[i])
                {
                    var member = members.GetValueOrDefault(userId) ?? new MemberReadUpdate(post.ChannelId, userId, false, 0, 0, 0, 0, 0);
                    members[userId] = member with { Mentions = member.Mentions + 1, RootMentions = member.RootMentions + root };
                }
                if (ViewsChannel(post))
                {
                    members[post.UserId] = new MemberReadUpdate(post.ChannelId, post.UserId, true, post.CreateAt, 0, 0, 0, 0);
                }
            }
            updates.AddRange(members.Values);
        }
        return updates;
    }
}
