using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.SchemaMigrations;

/// <summary>
/// Applies a <see cref="MigrationSet"/>. Every node runs it at start-up; a cluster-wide advisory lock lets the first
/// one migrate while the others wait and then find nothing left to do. Each migration commits with its record.
/// </summary>
public static partial class SchemaMigrator
{
    /// <returns>The database's schema version afterwards.</returns>
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, MigrationSet set, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@LockKey)", new { set.LockKey }, cancellationToken: cancellationToken, commandTimeout: 0));
        try
        {
            await connection.ExecuteAsync($"""
                CREATE TABLE IF NOT EXISTS {set.Table} (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """);
            var applied = (await connection.QueryAsync<int>($"SELECT version FROM {set.Table}")).ToHashSet();
            foreach (var migration in set.Migrations.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: tx, cancellationToken: cancellationToken, commandTimeout: 0));
                await connection.ExecuteAsync($"INSERT INTO {set.Table} (version, name) VALUES (@Version, @Name)", migration, tx);
                await tx.CommitAsync(cancellationToken);
                LogApplied(logger, set.Table, migration.Version, migration.Name);
            }
            return await connection.ExecuteScalarAsync<int>($"SELECT coalesce(max(version), 0) FROM {set.Table}");
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { set.LockKey });
        }
    }

    [LoggerMessage(LogLevel.Information, "Applied migration {Version} ({Name}) recorded in {Table}")]
    private static partial void LogApplied(ILogger logger, string table, int version, string name);
}
