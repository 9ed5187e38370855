using System.Text.Json;
using Chat.Configuration;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>Creates the connection pool from SqlSettings and teaches Dapper our column conventions once.</summary>
public static class ChatDatabase
{
    static ChatDatabase()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new JsonHandler<Dictionary<string, JsonElement>>());
        SqlMapper.AddTypeHandler(new JsonHandler<Dictionary<string, string>>());
        SqlMapper.AddTypeHandler(new JsonHandler<List<string>>());
    }

    /// <summary>
    /// The primary's pool. It lists the configured primary first, then the replicas, and connects only to the one
    /// that accepts writes: when a replica is promoted (a manual failover), new connections reach it without a
    /// restart. Never start the old primary again as a primary: rebuild it as a standby of the new one.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(SqlSettings settings, string applicationName)
    {
        var primary = new NpgsqlConnectionStringBuilder(settings.DataSource);
        var hosts = Routing.DatabaseRouter.Endpoints(settings.DataSource)
            .Concat(settings.DataSourceReplicas.SelectMany(Routing.DatabaseRouter.Endpoints))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        var connection = new NpgsqlConnectionStringBuilder(settings.DataSource)
        {
            MaxPoolSize = settings.MaxOpenConns,
            MinPoolSize = Math.Min(settings.MaxIdleConns, settings.MaxOpenConns),
            CommandTimeout = settings.QueryTimeout,
            ApplicationName = applicationName,
            // Statements run thousands of times; planning each call cost more than executing it.
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
            // Nothing we do leaves session state behind (advisory locks are released explicitly), so skip the
            // reset round trip every time a connection returns to the pool.
            NoResetOnClose = true,
        };
        if (hosts.Count > 1)
        {
            connection.Host = string.Join(",", hosts);
            connection.TargetSessionAttributes = "primary";
            // How soon a server that was a standby (or down) is asked again: the write gap after a promotion.
            connection.HostRecheckSeconds = 1;
            if (primary.Timeout is 0 or > 5)
            {
                connection.Timeout = 5;
            }
        }
        return new NpgsqlDataSourceBuilder(connection.ConnectionString).Build();
    }

    /// <summary>
    /// The connection of a caller's transaction. Store writes run in one, so that a change and the events it records
    /// (the outbox) commit together.
    /// </summary>
    public static NpgsqlConnection Connection(this NpgsqlTransaction transaction) =>
        transaction.Connection ?? throw new InvalidOperationException("The transaction has already ended.");

    /// <summary>Milliseconds since the epoch, the unit of every Mattermost timestamp.</summary>
    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private sealed class JsonHandler<T> : SqlMapper.TypeHandler<T> where T : new()
    {
        public override T Parse(object value) => JsonSerializer.Deserialize<T>((string)value) ?? new T();

        public override void SetValue(System.Data.IDbDataParameter parameter, T? value)
        {
            parameter.Value = JsonSerializer.Serialize(value);
            ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb;
        }
    }
}

/// <summary>A unique constraint refused the write; <see cref="Constraint"/> says which.</summary>
public sealed class DuplicateException(string constraint, Exception inner) : Exception($"Duplicate value violates {constraint}", inner)
{
    public string Constraint { get; } = constraint;

    public static async Task<T> Guard<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DuplicateException(e.ConstraintName ?? "unknown", e);
        }
    }
}
