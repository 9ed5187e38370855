using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Jobs.Core;

/// <summary>Mattermost's DataRetentionPolicyWithTeamAndChannelCounts.</summary>
public sealed record RetentionPolicy(string Id, string DisplayName, long PostDuration, long TeamCount, long ChannelCount);

/// <summary>Where one policy applies: posts of these teams' channels (or of these channels) older than its duration go.</summary>
public sealed record RetentionScope(string PolicyId, long PostDuration, IReadOnlyList<string> TeamIds, IReadOnlyList<string> ChannelIds);

/// <summary>Granular retention policies; a team or channel belongs to at most one.</summary>
public sealed class RetentionPolicyStore(NpgsqlDataSource db)
{
    private const string Select = """
        SELECT p.id AS Id, p.display_name AS DisplayName, p.post_duration AS PostDuration,
               (SELECT count(*) FROM retention_policy_teams t WHERE t.policy_id = p.id) AS TeamCount,
               (SELECT count(*) FROM retention_policy_channels c WHERE c.policy_id = p.id) AS ChannelCount
        FROM retention_policies p
        """;

    /// <exception cref="Chat.Store.Postgres.DuplicateException">A team or channel already has a policy.</exception>
    public async Task<RetentionPolicy> CreateAsync(string displayName, long postDuration, IReadOnlyList<string> teamIds, IReadOnlyList<string> channelIds)
    {
        var id = Ids.New();
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await Chat.Store.Postgres.DuplicateException.Guard(async () =>
        {
            await connection.ExecuteAsync("INSERT INTO retention_policies (id, display_name, post_duration) VALUES (@id, @displayName, @postDuration)",
                new { id, displayName, postDuration }, tx);
            await connection.ExecuteAsync("INSERT INTO retention_policy_teams (policy_id, team_id) SELECT @id, unnest(@teamIds)",
                new { id, teamIds = teamIds.Distinct().ToArray() }, tx);
            await connection.ExecuteAsync("INSERT INTO retention_policy_channels (policy_id, channel_id) SELECT @id, unnest(@channelIds)",
                new { id, channelIds = channelIds.Distinct().ToArray() }, tx);
            return 0;
        });
        var policy = await connection.QuerySingleAsync<RetentionPolicy>($"{Select} WHERE p.id = @id", new { id }, tx);
        await tx.CommitAsync();
        return policy;
    }

    public async Task<RetentionPolicy?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<RetentionPolicy>($"{Select} WHERE p.id = @id", new { id });
    }

    public async Task<(IReadOnlyList<RetentionPolicy> Policies, long TotalCount)> ListAsync(int page, int perPage)
    {
        await using var connection = await db.OpenConnectionAsync();
        var policies = await connection.QueryAsync<RetentionPolicy>($"{Select} ORDER BY p.display_name, p.id LIMIT @perPage OFFSET @offset",
            new { perPage, offset = (long)page * perPage });
        var total = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM retention_policies");
        return ([.. policies], total);
    }

    public async Task<bool> DeleteAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteAsync("DELETE FROM retention_policies WHERE id = @id", new { id }) == 1;
    }

    /// <summary>Every policy with the teams and channels it covers (what the retention job applies).</summary>
    public async Task<IReadOnlyList<RetentionScope>> ScopesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, long PostDuration, string[] TeamIds, string[] ChannelIds)>(new CommandDefinition("""
            SELECT p.id, p.post_duration,
                   coalesce((SELECT array_agg(team_id ORDER BY team_id) FROM retention_policy_teams t WHERE t.policy_id = p.id), '{}'),
                   coalesce((SELECT array_agg(channel_id ORDER BY channel_id) FROM retention_policy_channels c WHERE c.policy_id = p.id), '{}')
            FROM retention_policies p ORDER BY p.id
            """, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new RetentionScope(r.Id, r.PostDuration, r.TeamIds, r.ChannelIds))];
    }
}
