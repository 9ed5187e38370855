using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;

namespace Chat.Store.Postgres;

/// <summary>The teams a user may browse, and a team by its name.</summary>
public sealed partial class TeamStore
{
    /// <summary>
    /// Teams that are not deleted, by display name: every one, or only those anyone may join (open, with open
    /// invites) when <paramref name="joinableOnly"/>; with the total of such teams when <paramref name="withTotal"/>.
    /// </summary>
    public Task<(IReadOnlyList<Team> Teams, long? Total)> ListAsync(bool joinableOnly, int page, int perPage, bool withTotal) =>
        router.ReadAsync<(IReadOnlyList<Team>, long?)>(ReadTarget.Replica, async connection =>
        {
            const string Where = "delete_at = 0 AND (NOT @joinableOnly OR (type = 'O' AND allow_open_invite))";
            var parameters = new { joinableOnly, perPage, offset = (long)page * perPage };
            var teams = (await connection.QueryAsync<Team>(
                $"SELECT {Columns} FROM teams WHERE {Where} ORDER BY display_name, name LIMIT @perPage OFFSET @offset", parameters)).ToList();
            long? total = withTotal ? await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM teams WHERE {Where}", parameters) : null;
            return (teams, total);
        });

    public async Task<Team?> GetByNameAsync(string name)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Team>($"SELECT {Columns} FROM teams WHERE name = @name", new { name });
    }

    /// <summary>The teams the user administers (their team admins see a team's private fields).</summary>
    public Task<IReadOnlyList<string>> GetAdministeredAsync(string userId) =>
        router.ReadAsync<IReadOnlyList<string>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<string>("SELECT team_id FROM team_members WHERE user_id = @userId AND scheme_admin", new { userId })]);
}
