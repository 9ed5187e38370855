using Chat.Store.Model;
using Dapper;

namespace Chat.Store.Postgres;

/// <summary>The post lists other than a channel's pages: pinned, flagged (saved), by id, and an edited post's versions.</summary>
public sealed partial class PostStore
{
    /// <summary>The channel's pinned posts, oldest first (Mattermost's GetPinnedPosts order).</summary>
    public async Task<PostList> GetPinnedAsync(string channelId)
    {
        await using var connection = await db.OpenConnectionAsync();
        var posts = (await connection.QueryAsync<Post>($"""
            SELECT {Columns} FROM posts
            WHERE channel_id = @channelId AND is_pinned AND delete_at = 0
            ORDER BY create_at, id
            """, new { channelId })).ToList();
        return new PostList { Order = [.. posts.Select(p => p.Id)], Posts = posts.ToDictionary(p => p.Id) };
    }

    /// <summary>
    /// The live posts <paramref name="userId"/> flagged (preferences of category flagged_post, named by post id) in
    /// the channels they still belong to, newest first; only one channel's, or one team's (its direct and group
    /// channels included), when given.
    /// </summary>
    public async Task<PostList> GetFlaggedAsync(string userId, string? channelId, string? teamId, int page, int perPage)
    {
        await using var connection = await db.OpenConnectionAsync();
        var posts = (await connection.QueryAsync<Post>($"""
            SELECT {PrefixedColumns}
            FROM preferences f
            JOIN posts p ON p.id = f.name
            JOIN channel_members m ON m.channel_id = p.channel_id AND m.user_id = f.user_id
            JOIN channels c ON c.id = p.channel_id
            WHERE f.user_id = @userId AND f.category = '{Preference.FlaggedPost}' AND p.delete_at = 0
              AND (@channelId::text IS NULL OR p.channel_id = @channelId)
              AND (@teamId::text IS NULL OR c.team_id = @teamId OR c.team_id = '')
            ORDER BY p.create_at DESC, p.id DESC
            LIMIT @perPage OFFSET @offset
            """, new { userId, channelId, teamId, perPage, offset = (long)page * perPage })).ToList();
        return new PostList { Order = [.. posts.Select(p => p.Id)], Posts = posts.ToDictionary(p => p.Id) };
    }

    /// <summary>The posts with these ids, deleted ones included (as Mattermost's GetPostsByIds), newest first.</summary>
    public async Task<IReadOnlyList<Post>> GetByIdsAsync(IReadOnlyCollection<string> ids)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Post>(
            $"SELECT {Columns} FROM posts WHERE id = ANY(@ids) ORDER BY create_at DESC, id DESC", new { ids = ids.ToArray() })];
    }

    /// <summary>The versions an edited post replaced (see <see cref="PatchAsync"/>), the latest first.</summary>
    public async Task<IReadOnlyList<Post>> GetEditHistoryAsync(string postId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Post>(
            $"SELECT {Columns} FROM posts WHERE original_id = @postId ORDER BY edit_at DESC, update_at DESC", new { postId })];
    }
}
