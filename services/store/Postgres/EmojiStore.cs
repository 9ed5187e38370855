using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>Custom emoji that are not deleted.</summary>
public sealed class EmojiStore(NpgsqlDataSource db)
{
    private const string Columns = "id, create_at, update_at, delete_at, creator_id, name";

    /// <summary>A page of custom emoji: by name when <paramref name="byName"/>, else oldest first.</summary>
    public async Task<IReadOnlyList<Emoji>> GetPageAsync(int page, int perPage, bool byName)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Emoji>($"""
            SELECT {Columns} FROM emoji WHERE delete_at = 0
            ORDER BY {(byName ? "name" : "create_at, id")} LIMIT @perPage OFFSET @offset
            """, new { perPage, offset = (long)page * perPage })];
    }

    public async Task<Emoji?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Emoji>($"SELECT {Columns} FROM emoji WHERE id = @id AND delete_at = 0", new { id });
    }

    public async Task<Emoji?> GetByNameAsync(string name)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Emoji>($"SELECT {Columns} FROM emoji WHERE name = @name AND delete_at = 0", new { name });
    }

    /// <summary>The emoji of those names that exist, by name.</summary>
    public async Task<IReadOnlyList<Emoji>> GetByNamesAsync(IReadOnlyCollection<string> names)
    {
        if (names.Count == 0)
        {
            return [];
        }
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Emoji>(
            $"SELECT {Columns} FROM emoji WHERE name = ANY(@names) AND delete_at = 0 ORDER BY name", new { names = names.ToArray() })];
    }

    /// <summary>
    /// Saves a new emoji in the caller's transaction; null when a live emoji already has its name (the unique index
    /// settles two nodes creating the same name at once).
    /// </summary>
    public static Task<Emoji?> CreateAsync(NpgsqlTransaction transaction, Emoji emoji) =>
        transaction.Connection().QuerySingleOrDefaultAsync<Emoji>($"""
            INSERT INTO emoji ({Columns}) VALUES (@Id, @CreateAt, @UpdateAt, 0, @CreatorId, @Name)
            ON CONFLICT (name) WHERE delete_at = 0 DO NOTHING
            RETURNING {Columns}
            """, emoji, transaction);

    /// <summary>Marks the emoji deleted (its name becomes free); null when it was not live.</summary>
    public async Task<Emoji?> DeleteAsync(string id, long at)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Emoji>($"""
            UPDATE emoji SET delete_at = @at, update_at = @at WHERE id = @id AND delete_at = 0 RETURNING {Columns}
            """, new { id, at });
    }

    /// <summary>Emoji whose names start with (or with <paramref name="prefixOnly"/> false, contain) the term, by name.</summary>
    public async Task<IReadOnlyList<Emoji>> SearchAsync(string term, bool prefixOnly, int limit)
    {
        var escaped = term.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
        var pattern = (prefixOnly ? "" : "%") + escaped + "%";
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Emoji>(
            $"SELECT {Columns} FROM emoji WHERE name LIKE @pattern AND delete_at = 0 ORDER BY name LIMIT @limit", new { pattern, limit })];
    }
}
