using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;

namespace Chat.Store.Postgres;

/// <summary>What a team member browses: the team's public channels, a search among them, a channel by its name.</summary>
public sealed partial class ChannelStore
{
    /// <summary>The team's public channels that are not archived, by display name.</summary>
    public Task<IReadOnlyList<Channel>> GetPublicForTeamAsync(string teamId, int page, int perPage) =>
        router.ReadAsync<IReadOnlyList<Channel>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<Channel>($"""
                SELECT {Columns} FROM channels
                WHERE team_id = @teamId AND type = 'O' AND delete_at = 0
                ORDER BY display_name, name LIMIT @perPage OFFSET @offset
                """, new { teamId, perPage, offset = (long)page * perPage })]);

    /// <summary>
    /// The team's public channels that are not archived and have, for every one of <paramref name="words"/>, a word
    /// of their name or display name that begins with it (words are runs of letters and digits, compared in lower
    /// case); by display name, at most <paramref name="limit"/>.
    /// </summary>
    public Task<IReadOnlyList<Channel>> SearchPublicAsync(string teamId, IReadOnlyList<string> words, int limit) =>
        router.ReadAsync<IReadOnlyList<Channel>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<Channel>($"""
                SELECT {Columns} FROM channels
                WHERE team_id = @teamId AND type = 'O' AND delete_at = 0
                  AND (SELECT bool_and(' ' || regexp_replace(lower(name || ' ' || display_name), '[^[:alnum:]]+', ' ', 'g') LIKE '% ' || w || '%')
                       FROM unnest(@words::text[]) w) IS NOT FALSE
                ORDER BY display_name, name LIMIT @limit
                """, new { teamId, words = words.ToArray(), limit })]);

    /// <summary>A team's channel by its name; archived ones only when <paramref name="includeDeleted"/>.</summary>
    public async Task<Channel?> GetByNameAsync(string teamId, string name, bool includeDeleted)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Channel>(
            $"SELECT {Columns} FROM channels WHERE team_id = @teamId AND name = @name AND (@includeDeleted OR delete_at = 0)",
            new { teamId, name, includeDeleted });
    }

    /// <summary>A channel by its team's name and its own; archived ones only when <paramref name="includeDeleted"/>.</summary>
    public async Task<Channel?> GetByTeamNameAsync(string teamName, string name, bool includeDeleted)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Channel>($"""
            SELECT {PrefixedColumns} FROM channels c JOIN teams t ON t.id = c.team_id
            WHERE t.name = @teamName AND c.name = @name AND (@includeDeleted OR c.delete_at = 0)
            """, new { teamName, name, includeDeleted });
    }
}
