using System.Text;
using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;

namespace Chat.Store.Postgres;

public enum UserOrder
{
    Username,
    /// <summary>Newest account first.</summary>
    CreateAt,
    /// <summary>Most recent sign-in first (the latest session's activity), then by username.</summary>
    LastActivity,
    /// <summary>The channel's admins first (needs <see cref="UserQuery.InChannel"/>), then by username.</summary>
    ChannelAdminsFirst,
}

/// <summary>
/// Which users to list (Mattermost's UserGetOptions and UserSearch): every filter that is set applies.
/// <see cref="Words"/> each must begin the username, nickname, first or last name (the names only with
/// <see cref="MatchFullNames"/>) or email (only with <see cref="MatchEmails"/>), in lower case.
/// </summary>
public sealed record UserQuery
{
    public string? InTeam { get; init; }
    public string? NotInTeam { get; init; }
    public string? InChannel { get; init; }
    public string? NotInChannel { get; init; }
    public bool WithoutTeam { get; init; }
    /// <summary>True: active users only; false: deactivated ones only; null: both.</summary>
    public bool? Active { get; init; }
    /// <summary>A system role the user must have (e.g. system_admin).</summary>
    public string? Role { get; init; }
    public IReadOnlyList<string> Words { get; init; } = [];
    public bool MatchFullNames { get; init; }
    public bool MatchEmails { get; init; }
    public UserOrder Order { get; init; } = UserOrder.Username;
    public long Offset { get; init; }
    public int Limit { get; init; } = 100;
}

public sealed partial class UserStore
{
    /// <summary>The users <paramref name="query"/> selects, in its order. Prefix matches use the 0007 indexes.</summary>
    public Task<IReadOnlyList<User>> QueryAsync(UserQuery query) =>
        router.ReadAsync<IReadOnlyList<User>>(ReadTarget.Replica, async connection =>
        {
            var (sql, parameters) = Build(query);
            return [.. await connection.QueryAsync<User>(sql, parameters)];
        });

    private static (string Sql, DynamicParameters Parameters) Build(UserQuery query)
    {
        var where = new List<string>();
        var parameters = new DynamicParameters(new { offset = query.Offset, limit = query.Limit });
        void Filter(string? value, string name, string condition)
        {
            if (value is not null)
            {
                parameters.Add(name, value);
                where.Add(condition);
            }
        }
        Filter(query.InTeam, "inTeam", "EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = @inTeam AND tm.user_id = u.id)");
        Filter(query.NotInTeam, "notInTeam", "NOT EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = @notInTeam AND tm.user_id = u.id)");
        Filter(query.InChannel, "inChannel", "EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = @inChannel AND cm.user_id = u.id)");
        Filter(query.NotInChannel, "notInChannel", "NOT EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = @notInChannel AND cm.user_id = u.id)");
        Filter(query.Role, "role", "@role = ANY(string_to_array(u.roles, ' '))");
        if (query.WithoutTeam)
        {
            where.Add("NOT EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = u.id)");
        }
        if (query.Active is { } active)
        {
            where.Add(active ? "u.delete_at = 0" : "u.delete_at <> 0");
        }
        string[] fields =
        [
            "u.username", "lower(u.nickname)",
            .. query.MatchFullNames ? new[] { "lower(u.first_name)", "lower(u.last_name)" } : [],
            .. query.MatchEmails ? new[] { "u.email" } : [],
        ];
        for (var i = 0; i < query.Words.Count; i++)
        {
            parameters.Add($"w{i}", EscapeLike(query.Words[i].ToLowerInvariant()) + "%");
            where.Add("(" + string.Join(" OR ", fields.Select(f => $"{f} LIKE @w{i}")) + ")");
        }
        var order = query.Order switch
        {
            UserOrder.CreateAt => "u.create_at DESC, u.username",
            UserOrder.LastActivity => "(SELECT max(s.last_activity_at) FROM sessions s WHERE s.user_id = u.id) DESC NULLS LAST, u.username",
            UserOrder.ChannelAdminsFirst when query.InChannel is not null =>
                "(SELECT cm.scheme_admin FROM channel_members cm WHERE cm.channel_id = @inChannel AND cm.user_id = u.id) DESC, u.username",
            _ => "u.username",
        };
        var sql = new StringBuilder($"SELECT {string.Join(", ", Columns.Split(", ").Select(c => "u." + c))} FROM users u");
        if (where.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        }
        sql.Append($" ORDER BY {order} LIMIT @limit OFFSET @offset");
        return (sql.ToString(), parameters);
    }

    /// <summary>A LIKE pattern matching <paramref name="text"/> literally (PostgreSQL's default escape is the backslash).</summary>
    private static string EscapeLike(string text) => text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
}
