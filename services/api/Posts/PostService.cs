using System.Text.Json;
using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Events;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Posts;

public sealed record CreatePostRequest(string? ChannelId, string? Message, string? RootId, string? PendingPostId, string? Type, Dictionary<string, JsonElement>? Props);

public sealed record PatchPostRequest(string? Message, bool? IsPinned, Dictionary<string, JsonElement>? Props);

public sealed record SearchPostsRequest(string? Terms, bool? IsOrSearch, int? TimeZoneOffset, int? Page, int? PerPage);

public sealed record ChannelPostsQuery(int Page, int PerPage, long? Since, string? Before, string? After);

public sealed class PostService(PostStore posts, PostWriter writer, ChannelStore channels, ChannelService channelService, Outbox outbox, ChatConfig config)
{
    private const int MaxSinceResults = 1000;

    public async Task<Post> CreateAsync(CreatePostRequest request, Session caller)
    {
        var channelId = Input.Id(request.ChannelId, "channel_id");
        var message = ValidMessage(request.Message);
        var access = await channels.GetCachedAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(access.CanPost(caller));
        var rootId = "";
        if (!string.IsNullOrEmpty(request.RootId))
        {
            rootId = Input.Id(request.RootId, "root_id");
            if (await posts.GetAsync(rootId) is not { } root || root.ChannelId != channelId)
            {
                throw AppErrorException.BadRequest("api.post.create_post.root_id.app_error", "Invalid root_id parameter.");
            }
        }
        var pending = Input.Text(request.PendingPostId, "pending_post_id", 0, 64);
        var type = Input.Text(request.Type, "type", 0, 26);
        if (type.Length > 0 && !type.StartsWith("custom_", StringComparison.Ordinal))
        {
            throw AppErrorException.BadRequest("api.post.create_post.type.app_error", "Only custom_ post types may be set by clients.");
        }
        var post = new Post
        {
            Id = Ids.New(),
            UserId = caller.UserId,
            ChannelId = channelId,
            RootId = rootId,
            Message = message,
            Type = type,
            Props = request.Props ?? [],
            PendingPostId = pending,
        };
        return await writer.CreateAsync(post, access.Channel, caller);
    }

    public async Task<Post> GetAsync(string postId, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.NotFound("Post");
        await channelService.ReadableAsync(post.ChannelId, caller);
        return post;
    }

    /// <summary>Authors may edit their own posts while they can post in the channel; system admins any post.</summary>
    public async Task<Post> PatchAsync(string postId, PatchPostRequest request, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.NotFound("Post");
        var access = await channels.GetAccessAsync(post.ChannelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(caller.IsSystemAdmin || (post.UserId == caller.UserId && access.CanPost(caller)));
        var message = request.Message is null ? null : ValidMessage(request.Message);
        var patched = await outbox.WriteAsync(
            tx => posts.PatchAsync(tx, postId, message, request.IsPinned, request.Props),
            p => p is null ? [] : [WebSocketEvents.PostEdited(p)]);
        return patched ?? throw AppErrorException.NotFound("Post");
    }

    /// <summary>Authors may delete their own posts; channel, team and system admins anyone's.</summary>
    public async Task DeleteAsync(string postId, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.NotFound("Post");
        var access = await channels.GetAccessAsync(post.ChannelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(caller.IsSystemAdmin || access.IsChannelAdmin || access.IsTeamAdmin || (post.UserId == caller.UserId && access.CanPost(caller)));
        _ = await outbox.WriteAsync(
            tx => posts.DeleteAsync(tx, postId),
            p => p is null ? [] : [WebSocketEvents.PostDeleted(p)]) ?? throw AppErrorException.NotFound("Post");
    }

    public async Task<PostList> GetForChannelAsync(string channelId, ChannelPostsQuery query, Session caller)
    {
        await channelService.ReadableAsync(channelId, caller);
        if (query.Since is { } since)
        {
            return await posts.GetSinceAsync(channelId, since, MaxSinceResults);
        }
        if (query.Before is { Length: > 0 } before)
        {
            return await posts.GetBeforeAsync(channelId, Input.Id(before, "before"), query.Page, query.PerPage) ?? throw AppErrorException.NotFound("Post");
        }
        if (query.After is { Length: > 0 } after)
        {
            return await posts.GetAfterAsync(channelId, Input.Id(after, "after"), query.Page, query.PerPage) ?? throw AppErrorException.NotFound("Post");
        }
        return await posts.GetPageAsync(channelId, query.Page, query.PerPage);
    }

    private string ValidMessage(string? message)
    {
        var text = message ?? "";
        var runes = text.EnumerateRunes().Count();
        if (string.IsNullOrWhiteSpace(text) || runes > config.ServiceSettings.MaxPostSizeRunes)
        {
            throw AppErrorException.BadRequest("model.post.is_valid.msg.app_error", $"A message must have 1 to {config.ServiceSettings.MaxPostSizeRunes} characters.");
        }
        return text;
    }
}
