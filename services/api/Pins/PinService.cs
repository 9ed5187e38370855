using Chat.Api.Reactions;
using Chat.Api.Channels;
using Chat.Api.Posts;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Pins;

/// <summary>
/// Pinning takes only the right to read the post's channel (Mattermost's saveIsPinnedPost), not the right to edit
/// the post; the change is an edit otherwise (post_edited to the channel, the same refusals).
/// </summary>
public sealed class PinService(PostStore posts, PostService postService, ChannelService channels, PostReactionMetadata reactionMetadata)
{
    public async Task SetPinnedAsync(string postId, bool pinned, Session caller)
    {
        // Mattermost answers a post it cannot find with the permission error, so no one learns which ids exist.
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.Forbidden();
        var access = await channels.ReadableAsync(post.ChannelId, caller);
        await postService.StorePatchAsync(post, access.Channel, message: null, isPinned: pinned, props: null);
    }

    public async Task<PostList> GetPinnedAsync(string channelId, Session caller)
    {
        await channels.ReadableAsync(channelId, caller);
        return await reactionMetadata.AddToAsync(await posts.GetPinnedAsync(channelId));
    }
}
