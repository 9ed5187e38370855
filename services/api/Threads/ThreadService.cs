using Chat.Api.Reactions;
using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Events;
using Chat.Api.Posts;
using Chat.Api.Users;
using Chat.ClientEvents;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Threads;

/// <summary>How a post list shows threads: collapsed (roots only, with their thread's state), with profiles, with roots of replies.</summary>
public sealed record ThreadOptions(bool SkipFetchThreads, bool CollapsedThreads, bool CollapsedThreadsExtended);

/// <summary>
/// Threads (Mattermost's GET /posts/{id}/thread) and collapsed reply threads: a user's followed threads per team,
/// their read points and following, and the thread fields of post lists.
/// </summary>
public sealed class ThreadService(ThreadStore threads, PostStore posts, TeamStore teams, UserStore users, ChannelService channelService, UserService userService, Outbox outbox, PostReactionMetadata reactionMetadata)
{
    /// <summary>Longest page of threads, as Mattermost allows.</summary>
    public const int MaxThreadsPerPage = 200;
    /// <summary>Longest page of a thread's posts.</summary>
    public const int MaxThreadPostsPerPage = 1000;

    /// <summary>
    /// GET /posts/{id}/thread: the post first, then the window of its thread. Collapsed, the post is taken as the
    /// root as it is (with its thread's state) and its replies follow; otherwise the whole thread the post belongs to,
    /// unless skipFetchThreads, which answers with the post alone.
    /// </summary>
    public async Task<PostList> GetPostThreadAsync(string postId, ThreadPostsQuery query, ThreadOptions options, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.NotFound("Post");
        await channelService.ReadableAsync(post.ChannelId, caller);
        var list = new PostList { Order = [post.Id], Posts = new Dictionary<string, Post> { [post.Id] = post } };
        if (options.SkipFetchThreads && !options.CollapsedThreads)
        {
            return await DecorateAsync(list, options, caller);
        }
        var rootId = options.CollapsedThreads || post.RootId.Length == 0 ? post.Id : post.RootId;
        var window = await threads.GetThreadPostsAsync(rootId, withRoot: !options.CollapsedThreads, query);
        var hasNext = query.PerPage > 0 && window.Count > query.PerPage;
        foreach (var p in window.Take(query.PerPage > 0 ? query.PerPage : window.Count).Where(p => p.Id != post.Id))
        {
            list.Order.Add(p.Id);
            list.Posts[p.Id] = p;
        }
        list = await DecorateAsync(list with { HasNext = hasNext }, options, caller);
        if (options.CollapsedThreads)
        {
            // As in Mattermost, only the root carries its thread's state in a collapsed thread.
            foreach (var id in list.Order.Skip(1))
            {
                list.Posts[id] = list.Posts[id] with { ReplyCount = 0, LastReplyAt = 0, Participants = null, IsFollowing = null };
            }
        }
        return list;
    }

    /// <summary>
    /// Adds what a post list shows of threads: every post's reply_count (its thread's), the roots of its replies to
    /// the posts (not to the order) unless collapsed, and, collapsed, each root's last_reply_at, participants (ids, or
    /// profiles when extended) and is_following for the caller; and every post's reactions metadata.
    /// </summary>
    public async Task<PostList> DecorateAsync(PostList list, ThreadOptions options, Session caller)
    {
        if (list.Posts.Count == 0)
        {
            return list;
        }
        var postsById = new Dictionary<string, Post>(list.Posts, StringComparer.Ordinal);
        if (!options.CollapsedThreads)
        {
            var missingRoots = postsById.Values.Where(p => p.RootId.Length > 0 && !postsById.ContainsKey(p.RootId)).Select(p => p.RootId).Distinct().ToList();
            if (missingRoots.Count > 0)
            {
                foreach (var root in (await threads.GetPostsAsync(missingRoots)).Where(r => r.DeleteAt == 0))
                {
                    postsById[root.Id] = root;
                }
            }
        }
        var info = await threads.GetInfoAsync([.. postsById.Values.Select(RootOf).Distinct()], caller.UserId);
        var profiles = options.CollapsedThreads && options.CollapsedThreadsExtended
            ? (await users.GetManyAsync([.. info.Values.SelectMany(t => t.Participants).Distinct()])).ToDictionary(u => u.Id, u => (object)userService.Sanitize(u, caller), StringComparer.Ordinal)
            : null;
        foreach (var (id, post) in postsById.ToList())
        {
            var thread = info.GetValueOrDefault(RootOf(post));
            postsById[id] = !options.CollapsedThreads || post.RootId.Length > 0 || thread is null
                ? post with { ReplyCount = thread?.ReplyCount ?? 0 }
                : post with
                {
                    ReplyCount = thread.ReplyCount,
                    LastReplyAt = thread.LastReplyAt,
                    Participants = thread.Participants.Length == 0 ? null : Participants(thread, profiles),
                    IsFollowing = thread.UserId.Length == 0 ? null : thread.Following,
                };
        }
        return await reactionMetadata.AddToAsync(list with { Posts = postsById });
    }

    /// <summary>GET /users/{id}/teams/{id}/threads.</summary>
    public async Task<UserThreadList> GetThreadsAsync(string userId, string teamId, UserThreadsQuery query, Session caller)
    {
        await DemandTeamAsync(userId, teamId, caller);
        var (found, total, unreadThreads, unreadMentions) = await threads.GetForUserAsync(userId, teamId, query);
        return new UserThreadList
        {
            Total = total,
            TotalUnreadThreads = unreadThreads,
            TotalUnreadMentions = unreadMentions,
            Threads = await ViewsAsync(found, query.Extended, caller),
        };
    }

    /// <summary>GET /users/{id}/teams/{id}/threads/{thread id}: the user's thread, 404 when they have no membership of it.</summary>
    public async Task<UserThread> GetThreadAsync(string userId, string teamId, string threadId, bool extended, Session caller)
    {
        await ThreadRootAsync(userId, teamId, threadId, caller);
        var state = await threads.GetStateAsync(userId, threadId) ?? throw AppErrorException.NotFound("Thread");
        return (await ViewsAsync([state], extended, caller))[0];
    }

    /// <summary>PUT …/threads/{id}/read/{timestamp}: the read point moves there (back too: the thread is then unread from it).</summary>
    public async Task<UserThread> SetReadAsync(string userId, string teamId, string threadId, long timestamp, Session caller)
    {
        var (root, channel) = await ThreadRootAsync(userId, teamId, threadId, caller);
        var user = await users.GetAsync(userId) ?? throw AppErrorException.NotFound("User");
        var keywords = new Dictionary<string, List<string>> { ["@" + user.Username.ToLowerInvariant()] = [userId] };
        var (_, after) = await outbox.WriteAsync(
            tx => ThreadStore.SetReadAsync(tx, root, channel.TeamId, userId, timestamp,
                later => (long)later.Count(p => channel.Type == ChannelTypes.Direct || MentionParser.Find(p.Message, keywords).UserIds.Count > 0)),
            change => [WebSocketEvents.ThreadReadChanged.Create(change.Before, change.After, teamId)]);
        return (await ViewsAsync([after], false, caller))[0];
    }

    /// <summary>PUT (follow) or DELETE (stop) …/threads/{id}/following.</summary>
    public async Task SetFollowingAsync(string userId, string teamId, string threadId, bool following, Session caller)
    {
        var (root, channel) = await ThreadRootAsync(userId, teamId, threadId, caller);
        await outbox.WriteAsync(
            tx => ThreadStore.SetFollowingAsync(tx, root, channel.TeamId, userId, following),
            state => [WebSocketEvents.ThreadFollowChanged.Create(state, teamId)]);
    }

    /// <summary>PUT …/threads/read: every followed thread of the team read now.</summary>
    public async Task MarkAllReadAsync(string userId, string teamId, Session caller)
    {
        await DemandTeamAsync(userId, teamId, caller);
        await outbox.WriteAsync(
            tx => ThreadStore.MarkAllReadAsync(tx, userId, teamId),
            at => [WebSocketEvents.ThreadReadChanged.AllRead(userId, teamId, at)]);
    }

    /// <summary>The caller may act for the user (themselves, or edit_other_users) and sees the team (view_team).</summary>
    private async Task DemandTeamAsync(string userId, string teamId, Session caller)
    {
        Access.Demand(caller.UserId == userId || caller.HasPermission(Permissions.EditOtherUsers));
        Access.Demand(caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.ViewTeam));
    }

    /// <summary>A thread's root post, readable by the caller, in the team (or in a direct or group channel).</summary>
    private async Task<(Post Root, Channel Channel)> ThreadRootAsync(string userId, string teamId, string threadId, Session caller)
    {
        await DemandTeamAsync(userId, teamId, caller);
        var root = await posts.GetAsync(threadId);
        if (root is not { RootId.Length: 0 })
        {
            throw AppErrorException.NotFound("Thread");
        }
        var access = await channelService.ReadableAsync(root.ChannelId, caller);
        if (access.Channel.TeamId.Length > 0 && access.Channel.TeamId != teamId)
        {
            throw AppErrorException.NotFound("Thread");
        }
        return (root, access.Channel);
    }

    private async Task<IReadOnlyList<UserThread>> ViewsAsync(IReadOnlyList<ThreadMemberState> states, bool extended, Session caller)
    {
        if (states.Count == 0)
        {
            return [];
        }
        var roots = (await threads.GetPostsAsync([.. states.Select(s => s.PostId)])).ToDictionary(p => p.Id, StringComparer.Ordinal);
        var profiles = extended
            ? (await users.GetManyAsync([.. states.SelectMany(s => s.Participants).Distinct()])).ToDictionary(u => u.Id, u => (object)userService.Sanitize(u, caller), StringComparer.Ordinal)
            : null;
        return [.. states.Where(s => roots.ContainsKey(s.PostId)).Select(s => ReplyThreads.ThreadView(s, roots[s.PostId], Participants(s, profiles)))];
    }

    private static List<object> Participants(ThreadMemberState thread, IReadOnlyDictionary<string, object>? profiles) =>
        profiles is null
            ? [.. thread.Participants.Select(id => (object)new ParticipantStub(id))]
            : [.. thread.Participants.Where(profiles.ContainsKey).Select(id => profiles[id])];

    private static string RootOf(Post post) => post.RootId.Length > 0 ? post.RootId : post.Id;
}
