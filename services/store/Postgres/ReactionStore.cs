using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>What saving a reaction came to.</summary>
public enum ReactionSaveOutcome
{
    Saved,
    PostNotFound,
    TooManyEmoji,
}

/// <summary>
/// Reactions and the posts' has_reactions. Every change locks its post's row first, so the changes of one post
/// (from any node) run one after another: the unique-emoji limit and has_reactions stay exact under concurrency.
/// </summary>
public sealed class ReactionStore(NpgsqlDataSource db)
{
    private const string Columns = "user_id, post_id, emoji_name, create_at, update_at, delete_at, remote_id, channel_id";
    private const string DbNowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

    /// <summary>
    /// Adds the reaction (reviving a removed one; saving a live one again only refreshes it), unless the post would
    /// then carry more than <paramref name="uniqueEmojiLimit"/> different emoji. Marks the post as having reactions
    /// and changed, so clients that ask for changes since a time fetch it again.
    /// </summary>
    public async Task<(ReactionSaveOutcome Outcome, Reaction? Saved)> SaveAsync(NpgsqlTransaction transaction, string postId, string userId, string emojiName, int uniqueEmojiLimit)
    {
        var connection = transaction.Connection();
        var channelId = await LockPostAsync(transaction, postId);
        if (channelId is null)
        {
            return (ReactionSaveOutcome.PostNotFound, null);
        }
        var (existing, unique) = await connection.QuerySingleAsync<(bool, long)>("""
            SELECT EXISTS (SELECT 1 FROM reactions WHERE post_id = @postId AND emoji_name = @emojiName AND delete_at = 0),
                   (SELECT count(DISTINCT emoji_name) FROM reactions WHERE post_id = @postId AND delete_at = 0)
            """, new { postId, emojiName }, transaction);
        if (!existing && unique >= uniqueEmojiLimit)
        {
            return (ReactionSaveOutcome.TooManyEmoji, null);
        }
        var saved = await connection.QuerySingleAsync<Reaction>($"""
            WITH saved AS (
                INSERT INTO reactions (post_id, user_id, emoji_name, channel_id, create_at, update_at)
                SELECT @postId, @userId, @emojiName, @channelId, t.now, t.now FROM (SELECT {DbNowMs} AS now) t
                ON CONFLICT (post_id, user_id, emoji_name) DO UPDATE SET update_at = excluded.update_at, delete_at = 0, channel_id = excluded.channel_id
                RETURNING {Columns}
            ), post AS (
                UPDATE posts SET has_reactions = true, update_at = greatest(posts.update_at, saved.update_at) FROM saved WHERE posts.id = saved.post_id
            )
            SELECT {Columns} FROM saved
            """, new { postId, userId, emojiName, channelId }, transaction);
        return (ReactionSaveOutcome.Saved, saved);
    }

    /// <summary>
    /// Removes the reaction (its row stays, with delete_at set) and recomputes the post's has_reactions. Null when the
    /// post does not exist; otherwise the removed reaction, or the one asked for when there was none to remove.
    /// </summary>
    public async Task<Reaction?> DeleteAsync(NpgsqlTransaction transaction, string postId, string userId, string emojiName)
    {
        var connection = transaction.Connection();
        var channelId = await LockPostAsync(transaction, postId);
        if (channelId is null)
        {
            return null;
        }
        var removed = await connection.QuerySingleOrDefaultAsync<Reaction>($"""
            UPDATE reactions SET update_at = t.now, delete_at = t.now
            FROM (SELECT {DbNowMs} AS now) t
            WHERE post_id = @postId AND user_id = @userId AND emoji_name = @emojiName AND delete_at = 0
            RETURNING {Columns}
            """, new { postId, userId, emojiName }, transaction);
        var updateAt = await connection.QuerySingleAsync<long>($"""
            UPDATE posts SET update_at = greatest(update_at, {DbNowMs}),
                has_reactions = EXISTS (SELECT 1 FROM reactions WHERE post_id = @postId AND delete_at = 0)
            WHERE id = @postId
            RETURNING update_at
            """, new { postId }, transaction);
        return removed ?? new Reaction { UserId = userId, PostId = postId, EmojiName = emojiName, UpdateAt = updateAt, ChannelId = channelId };
    }

    /// <summary>The post's live reactions, oldest first.</summary>
    public async Task<IReadOnlyList<Reaction>> GetForPostAsync(string postId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Reaction>(
            $"SELECT {Columns} FROM reactions WHERE post_id = @postId AND delete_at = 0 ORDER BY create_at, user_id, emoji_name", new { postId })];
    }

    /// <summary>The live reactions of the posts, oldest first.</summary>
    public async Task<IReadOnlyList<Reaction>> GetForPostsAsync(IReadOnlyCollection<string> postIds)
    {
        if (postIds.Count == 0)
        {
            return [];
        }
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Reaction>(
            $"SELECT {Columns} FROM reactions WHERE post_id = ANY(@postIds) AND delete_at = 0 ORDER BY create_at, user_id, emoji_name",
            new { postIds = postIds.ToArray() })];
    }

    /// <summary>The channels of those posts that exist and are not deleted, by post id.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetPostChannelsAsync(IReadOnlyCollection<string> postIds)
    {
        await using var connection = await db.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string Id, string ChannelId)>(
            "SELECT id, channel_id FROM posts WHERE id = ANY(@postIds) AND delete_at = 0", new { postIds = postIds.ToArray() });
        return rows.ToDictionary(r => r.Id, r => r.ChannelId);
    }

    /// <summary>Locks the live post's row for the rest of the transaction; its channel, or null when there is no such post.</summary>
    private static Task<string?> LockPostAsync(NpgsqlTransaction transaction, string postId) =>
        transaction.Connection().QuerySingleOrDefaultAsync<string?>(
            "SELECT channel_id FROM posts WHERE id = @postId AND delete_at = 0 FOR NO KEY UPDATE", new { postId }, transaction);
}
