using Chat.Api.Users;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Npgsql;

namespace Chat.Api.Threads;

/// <summary>
/// What a batch of new posts does to threads (Mattermost's thread updates on a reply), in the posts' transaction:
/// each reply raises its thread's count and last reply and moves its author to the end of the participants; its
/// author follows the thread with everything up to the reply read, the users it mentions follow it with one more
/// unread mention, and the root's author follows a thread they had no membership of. Every follower then gets
/// thread_updated with the thread as they see it.
/// </summary>
public sealed class ReplyThreads(ChatConfig config)
{
    /// <summary>Applies the replies among <paramref name="posts"/> (commit order) and returns their events; none without replies.</summary>
    public async Task<IReadOnlyList<ClusterEvent>> ApplyAsync(NpgsqlTransaction transaction, IReadOnlyList<Post> posts, IReadOnlyList<Channel> channels, IReadOnlyList<IReadOnlySet<string>> mentioned)
    {
        var replies = Enumerable.Range(0, posts.Count).Where(i => posts[i].RootId.Length > 0).ToList();
        if (replies.Count == 0)
        {
            return [];
        }
        var threads = replies.GroupBy(i => posts[i].RootId, StringComparer.Ordinal).Select(g => new ThreadReplies(
            g.Key,
            posts[g.First()].ChannelId,
            channels[g.First()].TeamId,
            g.Count(),
            g.Max(i => posts[i].CreateAt),
            // The most recent replier last: each author at their last reply of the batch.
            [.. g.Select(i => posts[i].UserId).Reverse().Distinct(StringComparer.Ordinal).Reverse()])).ToList();
        var applied = await ThreadStore.ApplyRepliesAsync(transaction, threads, MembershipUpdates(posts, mentioned, replies), [.. replies.Select(i => posts[i].Id)]);
        var events = new List<ClusterEvent>(applied.After.Count);
        foreach (var state in applied.After)
        {
            if (!applied.Roots.TryGetValue(state.PostId, out var root))
            {
                continue;
            }
            var before = applied.Before.GetValueOrDefault((state.PostId, state.UserId));
            var participants = state.Participants
                .Where(applied.Participants.ContainsKey)
                .Select(id => (object)UserService.ForOthers(applied.Participants[id], config.PrivacySettings))
                .ToList();
            events.Add(WebSocketEvents.ThreadUpdated.Create(
                ThreadView(state, root, participants), state.TeamId, state.UserId, before?.UnreadReplies ?? 0, before?.UnreadMentions ?? 0));
        }
        return events;
    }

    /// <summary>The thread as one user sees it (Mattermost's ThreadResponse).</summary>
    public static UserThread ThreadView(ThreadMemberState state, Post root, IReadOnlyList<object> participants) => new()
    {
        Id = state.PostId,
        ReplyCount = state.ReplyCount,
        LastReplyAt = state.LastReplyAt,
        LastViewedAt = state.LastViewed,
        Participants = participants,
        Post = root with { ReplyCount = state.ReplyCount },
        UnreadReplies = state.UnreadReplies,
        UnreadMentions = state.UnreadMentions,
        DeleteAt = state.DeleteAt,
    };

    /// <summary>
    /// Per thread and user, in commit order: a reply's author has read the thread up to it (mentions before it
    /// cleared), each user it mentions gets one more mention; both follow.
    /// </summary>
    private static List<ThreadMembershipUpdate> MembershipUpdates(IReadOnlyList<Post> posts, IReadOnlyList<IReadOnlySet<string>> mentioned, IReadOnlyList<int> replies)
    {
        var updates = new Dictionary<(string, string), ThreadMembershipUpdate>();
        foreach (var i in replies)
        {
            var post = posts[i];
            foreach (var userId in mentioned[i])
            {
                var key = (post.RootId, userId);
                var update = updates.GetValueOrDefault(key) ?? new ThreadMembershipUpdate(post.RootId, userId, true, 0, 0);
                updates[key] = update with { Mentions = update.Mentions + 1 };
            }
            updates[(post.RootId, post.UserId)] = new ThreadMembershipUpdate(post.RootId, post.UserId, true, post.CreateAt, 0);
        }
        return [.. updates.Values];
    }
}
