namespace Chat.Store.Model;

/// <summary>A participant as Mattermost lists it when profiles were not asked for: the user's id only.</summary>
public sealed record ParticipantStub(string Id);

/// <summary>
/// Mattermost's ThreadResponse (a UserThread on the client): one thread as one user sees it. <see cref="Participants"/>
/// holds sanitized profiles when extended, else stubs.
/// </summary>
public sealed record UserThread
{
    public required string Id { get; init; }
    public long ReplyCount { get; init; }
    public long LastReplyAt { get; init; }
    public long LastViewedAt { get; init; }
    public IReadOnlyList<object> Participants { get; init; } = [];
    public required Post Post { get; init; }
    public long UnreadReplies { get; init; }
    public long UnreadMentions { get; init; }
    public bool IsUrgent { get; init; }
    public long DeleteAt { get; init; }
}

/// <summary>Mattermost's Threads: a page of the user's followed threads and their totals in the team.</summary>
public sealed record UserThreadList
{
    public long Total { get; init; }
    public long TotalUnreadThreads { get; init; }
    public long TotalUnreadMentions { get; init; }
    public long TotalUnreadUrgentMentions { get; init; }
    public IReadOnlyList<UserThread> Threads { get; init; } = [];
}

/// <summary>A user's state in one thread, with the thread's own counters, as the store reads it.</summary>
public sealed record ThreadMemberState
{
    public required string PostId { get; init; }
    public required string ChannelId { get; init; }
    public string TeamId { get; init; } = "";
    public long ReplyCount { get; init; }
    public long LastReplyAt { get; init; }
    public string[] Participants { get; init; } = [];
    public long DeleteAt { get; init; }
    public required string UserId { get; init; }
    public bool Following { get; init; }
    public long LastViewed { get; init; }
    public long UnreadMentions { get; init; }
    public long UnreadReplies { get; init; }
}

/// <summary>
/// Options of GET /users/{id}/teams/{id}/threads: a page before or after a thread (by last reply), only unread ones,
/// only those changed since a time, deleted ones too.
/// </summary>
public sealed record UserThreadsQuery(string Before, string After, int PerPage, bool Unread, bool Deleted, long Since, bool Extended, bool TotalsOnly, bool ThreadsOnly);

/// <summary>
/// What a batch of replies does to one user's membership of one thread (in commit order): the thread read up to
/// the user's last reply (<see cref="ViewedAt"/>, 0 if they did not reply), then <see cref="Mentions"/> mentions;
/// <see cref="Follow"/> makes them follow again even if they had stopped (repliers and mentioned users do; a root's
/// author only starts following a thread that has no membership of theirs yet).
/// </summary>
public sealed record ThreadMembershipUpdate(string PostId, string UserId, bool Follow, long ViewedAt, long Mentions);

/// <summary>A thread a batch of replies touched: its new counters, applied relative to the row.</summary>
public sealed record ThreadReplies(string PostId, string ChannelId, string TeamId, long Replies, long LastReplyAt, string[] Repliers);
