namespace Chat.Store.Model;

/// <summary>
/// A channel member as the mention rules read them (Mattermost's getMentionKeywordsInChannel): the user's name and
/// notification settings, the member's channel settings, and whether the user is online (for @here).
/// </summary>
public sealed record MentionCandidate
{
    public required string ChannelId { get; init; }
    public required string UserId { get; init; }
    public string Username { get; init; } = "";
    public string FirstName { get; init; } = "";
    public Dictionary<string, string> UserNotifyProps { get; init; } = [];
    public Dictionary<string, string> MemberNotifyProps { get; init; } = [];
    public bool Online { get; init; }
}

/// <summary>
/// Which members a batch of posts needs to read to find whom the posts mention: every member of
/// <see cref="AllMembers"/> (direct and group channels, and posts with @channel, @all or @here), and in
/// <see cref="KeywordChannels"/> only the members named by one of <see cref="Usernames"/> or who set mention keys
/// of their own (or their first name).
/// </summary>
public sealed record MentionScope(string[] AllMembers, string[] KeywordChannels, string[] Usernames);

/// <summary>
/// What a batch of posts does to one member's read state, applied with the posts (PostStore): when
/// <see cref="Viewed"/> (the member wrote one of the posts), the channel counts as read up to its last post by them,
/// <see cref="PostsAfter"/> posts (<see cref="RootPostsAfter"/> roots) before the batch's end; then the mentions that
/// came after it are added.
/// </summary>
public sealed record MemberReadUpdate(string ChannelId, string UserId, bool Viewed, long ViewedAt, long PostsAfter, long RootPostsAfter, long Mentions, long RootMentions);
