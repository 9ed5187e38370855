using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

public sealed class TeamStore(NpgsqlDataSource db)
{
    private const string Columns = "id, create_at, update_at, delete_at, name, display_name, description, email, type, company_name, allowed_domains, invite_id, allow_open_invite";
    private const string MemberColumns = "team_id, user_id, scheme_admin";

    /// <summary>Creates the team with its creator as team admin, atomically.</summary>
    public Task<Team> CreateAsync(Team team, string creatorId) => DuplicateException.Guard(async () =>
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync($"""
            INSERT INTO teams ({Columns})
            VALUES (@Id, @CreateAt, @UpdateAt, @DeleteAt, @Name, @DisplayName, @Description, @Email, @Type, @CompanyName, @AllowedDomains, @InviteId, @AllowOpenInvite)
            """, team, tx);
        await connection.ExecuteAsync(
            "INSERT INTO team_members (team_id, user_id, scheme_admin, create_at) VALUES (@teamId, @creatorId, true, @now)",
            new { teamId = team.Id, creatorId, now = team.CreateAt }, tx);
        await tx.CommitAsync();
        return team;
    });

    public async Task<Team?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Team>($"SELECT {Columns} FROM teams WHERE id = @id", new { id });
    }

    public async Task<IReadOnlyList<Team>> GetForUserAsync(string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Team>($"""
            SELECT {string.Join(", ", Columns.Split(", ").Select(c => "t." + c))}
            FROM teams t JOIN team_members m ON m.team_id = t.id
            WHERE m.user_id = @userId AND t.delete_at = 0 ORDER BY t.display_name
            """, new { userId })];
    }

    public async Task<TeamMember?> GetMemberAsync(string teamId, string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<TeamMember>(
            $"SELECT {MemberColumns} FROM team_members WHERE team_id = @teamId AND user_id = @userId", new { teamId, userId });
    }

    /// <summary>Adds the member unless present; returns the membership either way.</summary>
    public async Task<TeamMember> AddMemberAsync(string teamId, string userId, long now)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO team_members (team_id, user_id, create_at) VALUES (@teamId, @userId, @now) ON CONFLICT DO NOTHING",
            new { teamId, userId, now });
        return await connection.QuerySingleAsync<TeamMember>(
            $"SELECT {MemberColumns} FROM team_members WHERE team_id = @teamId AND user_id = @userId", new { teamId, userId });
    }

    public async Task<int> CountMembersAsync(string teamId)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM team_members WHERE team_id = @teamId", new { teamId });
    }

    public async Task<IReadOnlyList<TeamMember>> GetMembersAsync(string teamId, int page, int perPage)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<TeamMember>(
            $"SELECT {MemberColumns} FROM team_members WHERE team_id = @teamId ORDER BY user_id LIMIT @perPage OFFSET @offset",
            new { teamId, perPage, offset = (long)page * perPage })];
    }

    /// <summary>Leaving a team also leaves all of its channels, as in Mattermost.</summary>
    public async Task<bool> RemoveMemberAsync(string teamId, string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("""
            DELETE FROM channel_members m USING channels c
            WHERE m.channel_id = c.id AND c.team_id = @teamId AND m.user_id = @userId
            """, new { teamId, userId }, tx);
        var removed = await connection.ExecuteAsync("DELETE FROM team_members WHERE team_id = @teamId AND user_id = @userId", new { teamId, userId }, tx);
        await tx.CommitAsync();
        return removed == 1;
    }
}
