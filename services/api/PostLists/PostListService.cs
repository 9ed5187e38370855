using Chat.Api.Reactions;
using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.PostLists;

/// <summary>Posts by id, a user's flagged (saved) posts and an edited post's history, each with Mattermost's checks.</summary>
public sealed class PostListService(PostStore posts, ChannelStore channels, PostReactionMetadata reactionMetadata)
{
    private const int MaxIds = 1000;

    /// <summary>
    /// The posts of these ids that the caller may read (others are left out, not refused), deleted ones included,
    /// newest first; a 404 when none of the ids is a post. A malformed id is refused, as POST /users/ids refuses one.
    /// </summary>
    public async Task<IReadOnlyList<Post>> GetByIdsAsync(string[] ids, Session caller)
    {
        if (ids.Length > MaxIds)
        {
            throw AppErrorException.BadRequest("api.post.posts_by_ids.invalid_body.request_error", $"At most {MaxIds} post ids may be requested at once.");
        }
        if (ids.Length == 0 || !ids.All(Ids.IsValid))
        {
            throw AppErrorException.InvalidParam("post_ids");
        }
        var found = await posts.GetByIdsAsync([.. ids.Distinct(StringComparer.Ordinal)]);
        if (found.Count == 0)
        {
            throw NoPosts();
        }
        var readable = await ReadableChannelsAsync(found, caller);
        var list = found.Where(p => readable.Contains(p.ChannelId)).ToList();
        var withReactions = await reactionMetadata.AddToAsync(list);
        return [.. list.Select(p => withReactions[p.Id])];
    }

    /// <summary>
    /// A user's flagged posts (their own, or anyone's for edit_other_users), newest first, only in the channels they
    /// belong to and the caller may read; paged before that filter, as in Mattermost.
    /// </summary>
    public async Task<PostList> GetFlaggedAsync(string userId, string? channelId, string? teamId, int page, int perPage, Session caller)
    {
        Access.Demand(caller.UserId == userId || caller.HasPermission(Permissions.EditOtherUsers));
        var flagged = await posts.GetFlaggedAsync(userId, channelId, teamId, page, perPage);
        var readable = await ReadableChannelsAsync(flagged.Posts.Values, caller);
        var order = flagged.Order.Where(id => readable.Contains(flagged.Posts[id].ChannelId)).ToList();
        return await reactionMetadata.AddToAsync(new PostList { Order = order, Posts = order.ToDictionary(id => id, id => flagged.Posts[id]) });
    }

    /// <summary>
    /// The versions an edit replaced, latest first, to the post's author alone and only while they may edit posts in
    /// its channel (Mattermost's getEditHistoryForPost; a post not found is refused the same way). A 404 when the
    /// post was never edited.
    /// </summary>
    public async Task<IReadOnlyList<Post>> GetEditHistoryAsync(string postId, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.Forbidden();
        var access = await channels.GetAccessAsync(post.ChannelId, caller.UserId) ?? throw AppErrorException.Forbidden();
        Access.Demand(caller.HasChannelPermission(access, Permissions.EditPost) && caller.UserId == post.UserId);
        var history = await posts.GetEditHistoryAsync(postId);
        return history.Count > 0 ? history : throw NoPosts();
    }

    private async Task<HashSet<string>> ReadableChannelsAsync(IEnumerable<Post> found, Session caller)
    {
        var readable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var channelId in found.Select(p => p.ChannelId).Distinct(StringComparer.Ordinal))
        {
            if (await channels.GetAccessAsync(channelId, caller.UserId) is { } access && access.CanRead(caller))
            {
                readable.Add(channelId);
            }
        }
        return readable;
    }

    private static AppErrorException NoPosts() => new(404, "app.post.get.app_error", "Unable to get the post.");
}
