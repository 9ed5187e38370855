using Chat.Store.Model;
using Dapper;
using FileInfo = Chat.Store.Model.FileInfo;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>Uploads' FileInfo rows. Reads go to the primary: a file is read right after its upload, often through another node.</summary>
public sealed class FileInfoStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id, creator_id, channel_id, post_id, create_at, update_at, delete_at, path, thumbnail_path, preview_path,
        name, extension, size, mime_type, width, height, has_preview_image, mini_preview
        """;

    /// <summary>The most files one post may carry (Mattermost's 300-rune limit on its file_ids JSON holds ten ids).</summary>
    public const int MaxFilesPerPost = 10;

    public async Task CreateAsync(FileInfo info)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync($"""
            INSERT INTO file_infos ({Columns})
            VALUES (@Id, @CreatorId, @ChannelId, @PostId, @CreateAt, @UpdateAt, @DeleteAt, @Path, @ThumbnailPath, @PreviewPath,
                    @Name, @Extension, @Size, @MimeType, @Width, @Height, @HasPreviewImage, @MiniPreview)
            """, info);
    }

    /// <summary>
    /// Gives the new upload <paramref name="upload"/> the client's id for it. When an unattached upload of the same
    /// creator in the same channel already has that id, this one is a resend: its row is removed and the first is
    /// returned (the caller removes the resend's stored files). Null when <paramref name="upload"/> is the first.
    /// </summary>
    public async Task<FileInfo?> ClaimClientIdAsync(FileInfo upload, string clientId)
    {
        await using var connection = await db.OpenConnectionAsync();
        // Twice at most: the first may be attached (freeing the id) between the refused update and the read.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await connection.ExecuteAsync("UPDATE file_infos SET client_id = @clientId WHERE id = @Id", new { clientId, upload.Id });
                return null;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && attempt == 0)
            {
                var first = await connection.QuerySingleOrDefaultAsync<FileInfo>($"""
                    SELECT {Columns} FROM file_infos
                    WHERE creator_id = @CreatorId AND channel_id = @ChannelId AND client_id = @clientId AND post_id = '' AND delete_at = 0
                    """, new { upload.CreatorId, upload.ChannelId, clientId });
                if (first is not null)
                {
                    await connection.ExecuteAsync("DELETE FROM file_infos WHERE id = @Id", new { upload.Id });
                    return first;
                }
            }
        }
    }

    /// <summary>The file, deleted or not (callers decide what a deleted one means).</summary>
    public async Task<FileInfo?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<FileInfo>($"SELECT {Columns} FROM file_infos WHERE id = @id", new { id });
    }

    /// <summary>The files attached to a post, oldest first (the order they were uploaded).</summary>
    public async Task<IReadOnlyList<FileInfo>> GetForPostAsync(string postId, bool includeDeleted)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<FileInfo>($"""
            SELECT {Columns} FROM file_infos
            WHERE post_id = @postId AND (@includeDeleted OR delete_at = 0)
            ORDER BY create_at, id
            """, new { postId, includeDeleted })];
    }

    /// <summary>The channel of a post, deleted or not: a deleted post's files stay listable for admins who ask.</summary>
    public async Task<string?> ChannelOfPostAsync(string postId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<string>("SELECT channel_id FROM posts WHERE id = @postId", new { postId });
    }

    /// <summary>The live files of several posts (their metadata.files), by post id.</summary>
    public async Task<ILookup<string, FileInfo>> GetForPostsAsync(IReadOnlyCollection<string> postIds)
    {
        if (postIds.Count == 0)
        {
            return Array.Empty<FileInfo>().ToLookup(f => f.PostId);
        }
        await using var connection = await db.OpenConnectionAsync();
        var files = await connection.QueryAsync<FileInfo>($"""
            SELECT {Columns} FROM file_infos
            WHERE post_id = ANY(@postIds) AND delete_at = 0
            ORDER BY create_at, id
            """, new { postIds = postIds.ToArray() });
        return files.ToLookup(f => f.PostId, StringComparer.Ordinal);
    }

    /// <summary>
    /// The files of <paramref name="fileIds"/> a new post may claim, in the given order: the author's own uploads in
    /// that channel that no post has claimed yet. Mattermost drops the others from the post.
    /// </summary>
    public async Task<IReadOnlyList<FileInfo>> AttachableAsync(IReadOnlyList<string> fileIds, string userId, string channelId)
    {
        await using var connection = await db.OpenConnectionAsync();
        var found = (await connection.QueryAsync<FileInfo>($"""
            SELECT {Columns} FROM file_infos
            WHERE id = ANY(@fileIds) AND creator_id = @userId AND channel_id = @channelId AND post_id = '' AND delete_at = 0
            """, new { fileIds = fileIds.ToArray(), userId, channelId })).ToDictionary(f => f.Id, StringComparer.Ordinal);
        return [.. fileIds.Distinct(StringComparer.Ordinal).Where(found.ContainsKey).Select(id => found[id])];
    }

    /// <summary>
    /// An edit's new file list (in the edit's transaction, after the post row changed): the post claims the listed
    /// uploads its author may still attach, and its files no longer listed are deleted with the edit, as a deleted
    /// post's are. Returns the post's live files, oldest first.
    /// </summary>
    public static async Task<IReadOnlyList<FileInfo>> SetForPostAsync(NpgsqlTransaction transaction, Post post, IReadOnlyList<string> fileIds)
    {
        var connection = transaction.Connection();
        var ids = fileIds.ToArray();
        await connection.ExecuteAsync("""
            UPDATE file_infos SET post_id = @Id, update_at = @UpdateAt
            WHERE id = ANY(@ids) AND post_id = '' AND delete_at = 0 AND creator_id = @UserId AND channel_id = @ChannelId
            """, new { post.Id, post.UpdateAt, post.UserId, post.ChannelId, ids }, transaction);
        await connection.ExecuteAsync("""
            UPDATE file_infos SET delete_at = @UpdateAt, update_at = @UpdateAt
            WHERE post_id = @Id AND delete_at = 0 AND NOT (id = ANY(@ids))
            """, new { post.Id, post.UpdateAt, ids }, transaction);
        return [.. await connection.QueryAsync<FileInfo>($"""
            SELECT {Columns} FROM file_infos WHERE post_id = @Id AND delete_at = 0 ORDER BY create_at, id
            """, new { post.Id }, transaction)];
    }

    /// <summary>Deletes the files of a deleted post with it (in its transaction): they are no longer readable.</summary>
    public static Task DeleteForPostAsync(NpgsqlTransaction transaction, string postId) =>
        transaction.Connection().ExecuteAsync("""
            UPDATE file_infos SET delete_at = t.now, update_at = t.now
            FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now) t
            WHERE post_id = @postId AND delete_at = 0
            """, new { postId }, transaction);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> rows of uploads never attached to a post and created before
    /// <paramref name="before"/> (epoch ms); returns them, so their stored files can go next. A file claimed by a
    /// post meanwhile is not deleted (the claim and this statement lock the same row).
    /// </summary>
    public async Task<IReadOnlyList<FileInfo>> DeleteUnattachedAsync(long before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<FileInfo>(new CommandDefinition($"""
            DELETE FROM file_infos
            WHERE id IN (SELECT id FROM file_infos WHERE post_id = '' AND delete_at = 0 AND create_at < @before
                         ORDER BY create_at LIMIT @limit FOR UPDATE SKIP LOCKED)
              AND post_id = ''
            RETURNING {Columns}
            """, new { before, limit }, cancellationToken: cancellationToken))];
    }
}
