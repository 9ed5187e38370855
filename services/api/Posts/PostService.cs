using System.Text.Json;
using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Events;
using Chat.Api.Files;
using Chat.Api.Plugins;
using Chat.Api.Reactions;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.Plugins.Hosting;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using PluginSdk = Chat.Plugins.Sdk;

namespace Chat.Api.Posts;

public sealed record CreatePostRequest(string? ChannelId, string? Message, string? RootId, string? PendingPostId, string? Type, Dictionary<string, JsonElement>? Props, List<string>? FileIds = null);

public sealed record PatchPostRequest(string? Message, bool? IsPinned, Dictionary<string, JsonElement>? Props, List<string>? FileIds = null);

public sealed record SearchPostsRequest(string? Terms, bool? IsOrSearch, int? TimeZoneOffset, int? Page, int? PerPage);

/// <summary>
/// <see cref="IncludeDeleted"/>: deleted posts too (system admins); <see cref="RootsOnly"/>: collapsed reply threads,
/// where a channel shows only the posts that start a thread.
/// </summary>
public sealed record ChannelPostsQuery(int Page, int PerPage, long? Since, string? Before, string? After, bool IncludeDeleted = false, bool RootsOnly = false);

public sealed class PostService(PostStore posts, PostWriter writer, ChannelStore channels, UserStore users, ChannelService channelService, Outbox outbox, PluginHooks plugins, ChatConfig config, PostReactionMetadata reactionMetadata, FileInfoStore files, PostFiles postFiles)
{
    private const int MaxSinceResults = 1000;

    public async Task<Post> CreateAsync(CreatePostRequest request, Session caller)
    {
        var channelId = Input.Id(request.ChannelId, "channel_id");
        var fileIds = request.FileIds is { Count: > 0 } requested ? [.. requested.Select(id => Input.Id(id, "file_ids"))] : (List<string>?)null;
        var post = new Post { Id = Ids.New(), UserId = caller.UserId, ChannelId = channelId, Message = request.Message ?? "", FileIds = fileIds };
        if (post.IsValid(MaxPostSizeRunes) is { } invalid)
        {
            throw invalid;
        }
        var pendingPostId = PendingPostId(request.PendingPostId);
        var access = await channels.GetCachedAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(access.CanPost(caller));
        // A resend of a create that already took effect (its answer lost with a node, say) gets the original, as
        // Mattermost's client expects; the writer settles resends that race the original.
        if (pendingPostId.Length > 0 && await posts.GetByPendingPostIdAsync(caller.UserId, pendingPostId) is { } original)
        {
            return await postFiles.WithFilesAsync(original);
        }
        if (access.Channel.DeleteAt != 0)
        {
            throw AppErrorException.BadRequest("api.post.create_post.can_not_post_to_deleted.error", "Can not post to a deleted (archived) channel.");
        }
        var rootId = await ValidRootIdAsync(request.RootId, channelId);
        // As Mattermost does, only the author's own unattached uploads in this channel are attached; others are dropped.
        var attached = fileIds is null ? [] : await files.AttachableAsync(fileIds, caller.UserId, channelId);
        post = PostFiles.With(post with
        {
            RootId = rootId,
            PendingPostId = pendingPostId,
            Type = ValidType(request.Type),
            Props = Post.UserProps(request.Props),
            FileIds = attached.Count > 0 ? [.. attached.Select(f => f.Id)] : null,
        }, attached.Select(f => f with { PostId = post.Id }));
        if (post.IsValid(MaxPostSizeRunes) is { } withoutFiles)
        {
            throw withoutFiles;
        }
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
        var rootId = await ValidRootIdAsync(request.RootId, channelId);
        var post = new Post { Id = Ids.New(), UserId = author.Id, ChannelId = channelId, RootId = rootId, Message = request.Message ?? "", Props = request.Props ?? [] };
        if (post.IsValid(MaxPostSizeRunes) is { } invalid)
        {
            throw invalid;
        }
        post = post with { Type = ValidType(request.Type) };
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
            post = post with { Message = changed.Message ?? "", Props = changed.Props ?? [] };
            if (post.IsValid(MaxPostSizeRunes) is { } invalid)
            {
                throw invalid;
            }
        }
        var created = await writer.CreateAsync(post, channel, sender);
        if (created.Id != post.Id)
        {
            return await postFiles.WithFilesAsync(created);
        }
        if (plugins.AnyImplements(PluginHooks.Names.MessageHasBeenPosted))
        {
            plugins.MessageHasBeenPosted(context, PluginHooks.ToPluginModel<PluginSdk.Post>(created));
        }
        return created;
    }

    /// <summary>
    /// Mattermost clients' key for a create, "&lt;user_id&gt;:&lt;milliseconds&gt;"; empty when the client sent none.
    /// Anything else is refused, so the key's index holds only what clients make.
    /// </summary>
    private static string PendingPostId(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && Ids.IsValid(value[..colon]) && value.Length - colon - 1 is >= 1 and <= 16 && value[(colon + 1)..].All(char.IsAsciiDigit)
            ? value
            : throw AppErrorException.InvalidParam("pending_post_id");
    }

    public async Task<Post> GetAsync(string postId, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.NotFound("Post");
        await channelService.ReadableAsync(post.ChannelId, caller);
        return await reactionMetadata.AddToAsync(await postFiles.WithFilesAsync(post));
    }

    /// <summary>
    /// edit_post for one's own posts (channel members), edit_others_posts for anyone's (system admins). file_ids, as
    /// Mattermost's PostPatch, replaces the post's files: those it keeps, plus the author's own unattached uploads in
    /// the channel (others are dropped, as on create); files left out are deleted with the edit.
    /// </summary>
    public async Task<Post> PatchAsync(string postId, PatchPostRequest request, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.NotFound("Post");
        var access = await channels.GetAccessAsync(post.ChannelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(caller.HasChannelPermission(access, post.UserId == caller.UserId ? Permissions.EditPost : Permissions.EditOthersPosts));
        var fileIds = request.FileIds is null ? null : await EditedFileIdsAsync(post, request.FileIds);
        if ((request.Message is not null || fileIds is not null)
            && (post with { Message = request.Message ?? post.Message, FileIds = fileIds ?? post.FileIds }).IsValid(MaxPostSizeRunes) is { } invalid)
        {
            throw invalid;
        }
        return await StorePatchAsync(post, access.Channel, request.Message, request.IsPinned, request.Props is null ? null : Post.UserProps(request.Props), fileIds);
    }

    /// <summary>
    /// Writes a permitted change to a post (its message, props, pin or files) with its post_edited event. As Mattermost's
    /// UpdatePost, refused for system messages and in archived channels.
    /// </summary>
    public async Task<Post> StorePatchAsync(Post post, Channel channel, string? message, bool? isPinned, Dictionary<string, JsonElement>? props,
        IReadOnlyList<string>? fileIds = null)
    {
        if (post.IsSystemMessage)
        {
            throw AppErrorException.BadRequest("api.post.update_post.system_message.app_error", "Unable to update system message.");
        }
        if (channel.DeleteAt != 0)
        {
            throw AppErrorException.BadRequest("api.post.update_post.can_not_update_post_in_deleted.error", "Can not update a post in a deleted channel.");
        }
        var historyId = Ids.New();
        var attached = fileIds is null && post.FileIds is { Count: > 0 } ? await files.GetForPostAsync(post.Id, includeDeleted: false) : [];
        var patched = await outbox.WriteAsync(
            async tx => await posts.PatchAsync(tx, post.Id, message, isPinned, props, historyId, fileIds) is { } p
                ? PostFiles.With(p, fileIds is null ? attached : await FileInfoStore.SetForPostAsync(tx, p, fileIds))
                : null,
            p => p is null ? [] : [WebSocketEvents.PostEdited.Create(p)]);
        return patched ?? throw AppErrorException.NotFound("Post");
    }

    /// <summary>The post's files after an edit asking for <paramref name="requested"/>, in the order asked.</summary>
    private async Task<List<string>> EditedFileIdsAsync(Post post, List<string> requested)
    {
        var ids = requested.Select(id => Input.Id(id, "file_ids")).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count > Post.MaxFileIds)
        {
            throw AppErrorException.BadRequest("model.post.is_valid.file_ids.app_error", $"A post may have at most {Post.MaxFileIds} files.");
        }
        var kept = (post.FileIds ?? []).ToHashSet(StringComparer.Ordinal);
        var added = (await files.AttachableAsync([.. ids.Where(id => !kept.Contains(id))], post.UserId, post.ChannelId)).Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        return [.. ids.Where(id => kept.Contains(id) || added.Contains(id))];
    }

    /// <summary>delete_post for one's own posts (channel members), delete_others_posts for anyone's (team and system admins).</summary>
    public async Task DeleteAsync(string postId, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.NotFound("Post");
        var access = await channels.GetAccessAsync(post.ChannelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(caller.HasChannelPermission(access, post.UserId == caller.UserId ? Permissions.DeletePost : Permissions.DeleteOthersPosts));
        _ = await outbox.WriteAsync(
            async tx =>
            {
                var deleted = await posts.DeleteAsync(tx, postId);
                if (deleted is not null)
                {
                    await ThreadStore.OnPostDeletedAsync(tx, deleted);
                }
                // Its files go with it: no longer readable by anyone.
                await FileInfoStore.DeleteForPostAsync(tx, postId);
                return deleted;
            },
            p => p is null ? [] : [WebSocketEvents.PostDeleted.Create(p)]) ?? throw AppErrorException.NotFound("Post");
    }

    /// <summary>A channel's posts; deleted ones too (include_deleted) for system admins only, as in Mattermost.</summary>
    public async Task<PostList> GetForChannelAsync(string channelId, ChannelPostsQuery query, Session caller)
    {
        if (query.IncludeDeleted)
        {
            Access.DemandSystemAdmin(caller);
        }
        await channelService.ReadableAsync(channelId, caller);
        return await postFiles.WithFilesAsync(await PageAsync(channelId, query));
    }

    private async Task<PostList> PageAsync(string channelId, ChannelPostsQuery query)
    {
        if (query.Since is { } since)
        {
            return await posts.GetSinceAsync(channelId, since, MaxSinceResults);
        }
        if (query.Before is { Length: > 0 } before)
        {
            return await posts.GetBeforeAsync(channelId, Input.Id(before, "before"), query.Page, query.PerPage, query.IncludeDeleted, query.RootsOnly) ?? throw AppErrorException.NotFound("Post");
        }
        if (query.After is { Length: > 0 } after)
        {
            return await posts.GetAfterAsync(channelId, Input.Id(after, "after"), query.Page, query.PerPage, query.IncludeDeleted, query.RootsOnly) ?? throw AppErrorException.NotFound("Post");
        }
        return await posts.GetPageAsync(channelId, query.Page, query.PerPage, query.IncludeDeleted, query.RootsOnly);
    }

    /// <summary>
    /// GET /users/{id}/channels/{id}/posts/unread (Mattermost's GetPostsForChannelAroundLastUnread): the member's
    /// oldest unread post with up to <paramref name="limitAfter"/> - 1 newer and <paramref name="limitBefore"/> older
    /// posts; with nothing unread, the newest <paramref name="limitBefore"/> posts.
    /// </summary>
    public async Task<PostList> GetAroundLastUnreadAsync(string userId, string channelId, int limitBefore, int limitAfter, bool rootsOnly, Session caller)
    {
        Access.Demand(caller.UserId == userId || caller.HasPermission(Permissions.EditOtherUsers));
        await channelService.ReadableAsync(channelId, caller);
        var member = await channels.GetMemberAsync(channelId, userId)
            ?? throw new AppErrorException(404, "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.");
        return await posts.GetAroundUnreadAsync(channelId, member.LastViewedAt ?? 0, limitAfter, limitBefore, rootsOnly)
            ?? (limitBefore == 0 ? new PostList() : await posts.GetPageAsync(channelId, 0, limitBefore, rootsOnly: rootsOnly));
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

    private int MaxPostSizeRunes => config.ServiceSettings.MaxPostSizeRunes;

    /// <summary>A reply's root: an existing post of the same channel; "" for a post that starts a thread.</summary>
    private async Task<string> ValidRootIdAsync(string? rootId, string channelId)
    {
        if (string.IsNullOrEmpty(rootId))
        {
            return "";
        }
        var id = Input.Id(rootId, "root_id");
        return await posts.GetAsync(id) is { } root && root.ChannelId == channelId
            ? id
            : throw AppErrorException.BadRequest("api.post.create_post.root_id.app_error", "Invalid root_id parameter.");
    }
}
