using System.Text.Json;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using EmojiModel = Chat.Store.Model.Emoji;

namespace Chat.Api.Reactions;

/// <summary>
/// What Mattermost adds to a post for clients: metadata.reactions (the post's reactions, when it has any) and
/// metadata.emojis (the custom emoji its message and reactions show). Each key is left out when empty, as
/// Mattermost leaves it out. Deleted posts get neither.
/// </summary>
public sealed class PostReactionMetadata(ReactionStore reactions, EmojiStore emoji)
{
    public async Task<Post> AddToAsync(Post post) => (await AddToAsync([post]))[post.Id];

    public async Task<PostList> AddToAsync(PostList list) =>
        list.Posts.Count == 0 ? list : list with { Posts = await AddToAsync(list.Posts.Values) };

    /// <summary>The posts by id, each with its reactions and custom emoji in its metadata.</summary>
    public async Task<Dictionary<string, Post>> AddToAsync(IReadOnlyCollection<Post> posts)
    {
        var live = posts.Where(p => p.DeleteAt == 0).ToList();
        var reacted = live.Where(p => p.HasReactions).Select(p => p.Id).ToList();
        var byPost = (await reactions.GetForPostsAsync(reacted)).ToLookup(r => r.PostId);
        var namesByPost = live.ToDictionary(
            p => p.Id,
            p => EmojiModel.CustomNamesIn(p.Message).Concat(byPost[p.Id].Select(r => r.EmojiName).Where(n => !EmojiModel.SystemNames.Contains(n))).Distinct().ToList());
        var wanted = namesByPost.Values.SelectMany(n => n).Distinct().ToList();
        Dictionary<string, EmojiModel> custom = wanted.Count == 0 ? [] : (await emoji.GetByNamesAsync(wanted)).ToDictionary(e => e.Name);
        return posts.ToDictionary(p => p.Id, p =>
        {
            if (p.DeleteAt != 0)
            {
                return p;
            }
            var postReactions = byPost[p.Id].ToList();
            var postEmojis = namesByPost[p.Id].Where(custom.ContainsKey).Select(n => custom[n]).ToList();
            if (postReactions.Count == 0 && postEmojis.Count == 0)
            {
                return p;
            }
            var metadata = new Dictionary<string, JsonElement>(p.Metadata);
            if (postReactions.Count > 0)
            {
                metadata["reactions"] = JsonSerializer.SerializeToElement(postReactions, ServiceDefaultsExtensions.JsonOptions);
            }
            if (postEmojis.Count > 0)
            {
                metadata["emojis"] = JsonSerializer.SerializeToElement(postEmojis, ServiceDefaultsExtensions.JsonOptions);
            }
            return p with { Metadata = metadata };
        });
    }
}
