using Chat.Store.Model;
using Dapper;
using Chat.Store.Caching;
using Chat.Store.Routing;
using Npgsql;

namespace Chat.Store.Postgres;

/// <remarks>Lists may run on a replica; membership checks stay on the primary.</remarks>
public sealed partial class TeamStore(NpgsqlDataSource db, DatabaseRouter router, StoreCaches caches)
{
    private const string Columns = "id, create_at, update_at, delete_at, name, display_name, description, email, type, company_name, allowed_domains, invite_id, allow_open_invite";
    private const string MemberColumns = "team_id, user_id, delete_at, scheme_guest, scheme_user, scheme_admin, explicit_roles, create_at";

    /// <summary>Creates the team with its creator as team admin, in the caller's transaction.</summary>
    public Task<Team> CreateAsync(NpgsqlTransaction transaction, Team team, string creatorId) => DuplicateException.Guard(async () =>
    {
        var connection = transaction.Connection();
        await connection.ExecuteAsync($"""
            INSERT INTO teams ({Columns})
            VALUES (@Id, @CreateAt, @UpdateAt, @DeleteAt, @Name, @DisplayName, @Description, @Email, @Type, @CompanyName, @AllowedDomains, @InviteId, @AllowOpenInvite)
            """, team, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO team_members (team_id, user_id, scheme_admin, create_at) VALUES (@teamId, @creatorId, true, @now)",
            new { teamId = team.Id, creatorId, now = team.CreateAt }, transaction);
        return team;
    });

    public async Task<Team?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Team>($"SELECT {Columns} FROM teams WHERE id = @id", new { id });
    }

    public Task<IReadOnlyList<Team>> GetForUserAsync(string userId) => router.ReadAsync<IReadOnlyList<Team>>(ReadTarget.Replica, async connection =>
        [.. await connection.QueryAsync<Team>($"""
            SELECT {string.Join(", ", Columns.Split(", ").Select(c => "t." + c))}
            FROM teams t JOIN team_members m ON m.team_id = t.id
            WHERE m.user_id = @userId AND t.delete_at = 0 ORDER BY t.display_name
            """, new { userId })]);

    public async Task<TeamMember?> GetMemberAsync(string teamId, string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<TeamMember>(
            $"SELECT {MemberColumns} FROM team_members WHERE team_id = @teamId AND user_id = @userId", new { teamId, userId });
    }

    /// <summary>Adds the member unless present; returns the membership and whether this call added it.</summary>
    public async Task<(TeamMember Member, bool Added)> AddMemberAsync(NpgsqlTransaction transaction, string teamId, string userId, long now)
    {
        var connection = transaction.Connection();
        var added = await connection.ExecuteAsync(
            "INSERT INTO team_members (team_id, user_id, create_at) VALUES (@teamId, @userId, @now) ON CONFLICT DO NOTHING",
            new { teamId, userId, now }, transaction) == 1;
        // A statement of its own: its snapshot also sees a row that a concurrent adder committed while we waited on it.
        var member = await connection.QuerySingleAsync<TeamMember>(
            $"SELECT {MemberColumns} FROM team_members WHERE team_id = @teamId AND user_id = @userId", new { teamId, userId }, transaction);
        if (added)
        {
            await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.ChannelAccessCache, UserId: userId));
        }
        return (member, added);
    }

    public async Task<int> CountMembersAsync(string teamId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM team_members WHERE team_id = @teamId", new { teamId });
    }

    public Task<IReadOnlyList<TeamMember>> GetMembersAsync(string teamId, int page, int perPage) =>
        router.ReadAsync<IReadOnlyList<TeamMember>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<TeamMember>(
                $"SELECT {MemberColumns} FROM team_members WHERE team_id = @teamId ORDER BY user_id LIMIT @perPage OFFSET @offset",
                new { teamId, perPage, offset = (long)page * perPage })]);

    /// <summary>
    /// Leaving a team also leaves all of its channels, as in Mattermost. Returns the channels left, or null when the
    /// user was not a member of the team (and nothing changed).
    /// </summary>
    public async Task<IReadOnlyList<string>?> RemoveMemberAsync(NpgsqlTransaction transaction, string teamId, string userId)
    {
        var connection = transaction.Connection();
        if (await connection.ExecuteAsync("DELETE FROM team_members WHERE team_id = @teamId AND user_id = @userId", new { teamId, userId }, transaction) == 0)
        {
            return null;
        }
        await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.ChannelAccessCache, UserId: userId));
        return [.. await connection.QueryAsync<string>("""
            DELETE FROM channel_members m USING channels c
            WHERE m.channel_id = c.id AND c.team_id = @teamId AND m.user_id = @userId
            RETURNING m.channel_id
            """, new { teamId, userId }, transaction)];
    }
}
