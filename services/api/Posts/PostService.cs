using System.Text.Json;
using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Events;
using Chat.Api.Plugins;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.Plugins.Hosting;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using PluginSdk = Chat.Plugins.Sdk;

namespace Chat.Api.Posts;

public sealed record CreatePostRequest(string? ChannelId, string? Message, string? RootId, string? PendingPostId, string? Type, Dictionary<string, JsonElement>? Props);

public sealed record PatchPostRequest(string? Message, bool? IsPinned, Dictionary<string, JsonElement>? Props);

public sealed record SearchPostsRequest(string? Terms, bool? IsOrSearch, int? TimeZoneOffset, int? Page, int? PerPage);

public sealed record ChannelPostsQuery(int Page, int PerPage, long? Since, string? Before, string? After);

public sealed class PostService(PostStore posts, PostWriter writer, ChannelStore channels, UserStore users, ChannelService channelService, Outbox outbox, PluginHooks plugins, ChatConfig config)
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
        var type = ValidType(request.Type);
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
        return await StoreAsync(post, access.Channel, caller, PluginCalls.Context(caller));
    }

    /// <summary>
    /// A post made through the plugin API: with server rights (no permission check; the author need not be a member)
    /// but the same validation, and the same hooks, as any post.
    /// </summary>
    public async Task<Post> CreateForPluginAsync(PluginSdk.Post? request)
    {
        if (request is null)
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", "The post is missing.");
        }
        var channelId = Input.Id(request.ChannelId, "channel_id");
        var author = await users.GetAsync(Input.Id(request.UserId, "user_id"));
        if (author is not { DeleteAt: 0 })
        {
            throw AppErrorException.NotFound("User");
        }
        var channel = await channels.GetAsync(channelId);
        if (channel is not { DeleteAt: 0 })
        {
            throw AppErrorException.NotFound("Channel");
        }
        var rootId = "";
        if (!string.IsNullOrEmpty(request.RootId))
        {
            rootId = Input.Id(request.RootId, "root_id");
            if (await posts.GetAsync(rootId) is not { } root || root.ChannelId != channelId)
            {
                throw AppErrorException.BadRequest("api.post.create_post.root_id.app_error", "Invalid root_id parameter.");
            }
        }
        var post = new Post
        {
            Id = Ids.New(),
            UserId = author.Id,
            ChannelId = channelId,
            RootId = rootId,
            Message = ValidMessage(request.Message),
            Type = ValidType(request.Type),
            Props = request.Props ?? [],
        };
        var sender = new Session { Id = "", UserId = author.Id, Roles = author.Roles, Username = author.Username, CsrfToken = "" };
        return await StoreAsync(post, channel, sender, new PluginSdk.PluginContext());
    }

    /// <summary>
    /// Plugins' MessageWillBePosted may change the post (its message and props) or reject it (a 400 naming the
    /// reason, as Mattermost answers); after the commit, MessageHasBeenPosted runs in the background.
    /// </summary>
    private async Task<Post> StoreAsync(Post post, Channel channel, Session sender, PluginSdk.PluginContext context)
    {
        if (plugins.AnyImplements(PluginHooks.Names.MessageWillBePosted))
        {
            var (changed, rejection) = await plugins.MessageWillBePostedAsync(context, PluginHooks.ToPluginModel<PluginSdk.Post>(post));
            if (rejection is not null)
            {
                // Mattermost's error id is the untranslated message itself.
                var message = "Post rejected by plugin. " + rejection;
                throw new AppErrorException(400, message, message);
            }
            post = post with { Message = ValidMessage(changed.Message), Props = changed.Props ?? [] };
        }
        var created = await writer.CreateAsync(post, channel, sender);
        if (plugins.AnyImplements(PluginHooks.Names.MessageHasBeenPosted))
        {
            plugins.MessageHasBeenPosted(context, PluginHooks.ToPluginModel<PluginSdk.Post>(created));
        }
        return created;
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
            p => p is null ? [] : [WebSocketEvents.PostEdited.Create(p)]);
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
            p => p is null ? [] : [WebSocketEvents.PostDeleted.Create(p)]) ?? throw AppErrorException.NotFound("Post");
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

    private static string ValidType(string? requested)
    {
        var type = Input.Text(requested, "type", 0, 26);
        if (type.Length > 0 && !type.StartsWith("custom_", StringComparison.Ordinal))
        {
            throw AppErrorException.BadRequest("api.post.create_post.type.app_error", "Only custom_ post types may be set by clients.");
        }
        return type;
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
