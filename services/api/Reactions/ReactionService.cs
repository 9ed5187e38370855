using Chat.Api.Authorization;
using Chat.Api.Emoji;
using Chat.Api.Events;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using EmojiModel = Chat.Store.Model.Emoji;

namespace Chat.Api.Reactions;

/// <summary>A reaction as a client sends it; absent fields are empty, which the checks refuse.</summary>
public sealed record ReactionRequest(string? UserId, string? PostId, string? EmojiName);

/// <summary>
/// Mattermost's reactions: a channel member with add_reaction reacts as themself with a system or custom emoji;
/// remove_reaction takes one's own away, remove_others_reactions (system admins) anyone's. Each change reaches the
/// post's channel as reaction_added / reaction_removed. As in Mattermost, a post the caller cannot see (or that does
/// not exist) is a 403, so the answer does not tell which.
/// </summary>
public sealed class ReactionService(ReactionStore reactions, PostStore posts, ChannelStore channels, EmojiStore emoji, Outbox outbox, ChatConfig config)
{
    /// <summary>How many posts one bulk request may name.</summary>
    private const int MaxBulkPosts = 200;

    public async Task<Reaction> SaveAsync(ReactionRequest request, Session caller)
    {
        if (!Ids.IsValid(request.UserId) || !Ids.IsValid(request.PostId) || request.EmojiName is not { Length: > 0 and <= EmojiModel.NameMaxLength } emojiName)
        {
            throw AppErrorException.BadRequest("api.reaction.save_reaction.invalid.app_error", "The reaction needs a user id, a post id and an emoji name.");
        }
        if (request.UserId != caller.UserId)
        {
            throw new AppErrorException(403, "api.reaction.save_reaction.user_id.app_error", "Reactions can only be saved as oneself.");
        }
        var access = await PostAccessAsync(request.PostId!, caller);
        Access.Demand(caller.HasChannelPermission(access, Permissions.AddReaction));
        // Mattermost looks the name up before it checks its form, so an unknown name is a 404 whatever its form.
        if (!EmojiModel.SystemNames.Contains(emojiName) && await emoji.GetByNameAsync(emojiName) is null)
        {
            throw EmojiService.NoSuchName();
        }
        if (Reaction.IsValidName(emojiName) is { } invalid)
        {
            throw invalid;
        }
        if (access.Channel.DeleteAt != 0)
        {
            throw new AppErrorException(403, "api.reaction.save.archived_channel.app_error", "You cannot react to posts of an archived channel.");
        }
        var (outcome, saved) = await outbox.WriteAsync(
            tx => reactions.SaveAsync(tx, request.PostId!, caller.UserId, emojiName, config.ServiceSettings.UniqueEmojiReactionLimitPerPost),
            r => r.Saved is { } s ? [WebSocketEvents.ReactionAdded.Create(s, s.ChannelId)] : []);
        return outcome switch
        {
            ReactionSaveOutcome.Saved => saved!,
            ReactionSaveOutcome.TooManyEmoji => throw AppErrorException.BadRequest(
                "app.reaction.save.save.too_many_reactions", $"A post may have reactions of at most {config.ServiceSettings.UniqueEmojiReactionLimitPerPost} different emoji."),
            _ => throw AppErrorException.Forbidden(),
        };
    }

    public async Task DeleteAsync(string userId, string postId, string emojiName, Session caller)
    {
        var access = await PostAccessAsync(postId, caller);
        Access.Demand(caller.HasChannelPermission(access, Permissions.RemoveReaction));
        Access.Demand(userId == caller.UserId || caller.HasPermission(Permissions.RemoveOthersReactions));
        if (access.Channel.DeleteAt != 0)
        {
            throw new AppErrorException(403, "api.reaction.delete.archived_channel.app_error", "You cannot remove reactions from posts of an archived channel.");
        }
        _ = await outbox.WriteAsync(
            tx => reactions.DeleteAsync(tx, postId, userId, emojiName),
            r => r is null ? [] : [WebSocketEvents.ReactionRemoved.Create(r, access.Channel.Id)]) ?? throw AppErrorException.NotFound("Post");
    }

    public async Task<IReadOnlyList<Reaction>> GetForPostAsync(string postId, Session caller)
    {
        Access.Demand((await PostAccessAsync(postId, caller)).CanRead(caller));
        return await reactions.GetForPostAsync(postId);
    }

    /// <summary>Every named post's reactions (an empty list for a post without), each post readable by the caller.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<Reaction>>> GetForPostsAsync(string[]? postIds, Session caller)
    {
        if (postIds is null || postIds.Length > MaxBulkPosts)
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", $"Expected a JSON array of at most {MaxBulkPosts} post ids.");
        }
        var ids = postIds.Select(id => Input.Id(id, "post_ids")).Distinct().ToList();
        var postChannels = await reactions.GetPostChannelsAsync(ids);
        Access.Demand(postChannels.Count == ids.Count);
        foreach (var channelId in postChannels.Values.Distinct())
        {
            var access = await channels.GetCachedAccessAsync(channelId, caller.UserId);
            Access.Demand(access is not null && access.CanRead(caller));
        }
        var found = (await reactions.GetForPostsAsync(ids)).ToLookup(r => r.PostId);
        return ids.ToDictionary(id => id, id => (IReadOnlyList<Reaction>)[.. found[id]]);
    }

    /// <summary>The caller's access to the live post's channel; a 403 when there is no such post or channel.</summary>
    private async Task<ChannelAccess> PostAccessAsync(string postId, Session caller)
    {
        var post = await posts.GetAsync(postId) ?? throw AppErrorException.Forbidden();
        return await channels.GetCachedAccessAsync(post.ChannelId, caller.UserId) ?? throw AppErrorException.Forbidden();
    }
}
