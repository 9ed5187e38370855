using System.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.SchemaMigrations;

/// <summary>
/// The one migration runner. Every node runs it at start-up, before it listens; a cluster-wide advisory lock lets the
/// first one migrate while the others wait and then find nothing left to do. Each migration commits with its record.
/// </summary>
public static partial class SchemaMigrator
{
    /// <summary>The set whose version a node reports as its schema version (cluster status): the store's.</summary>
    public const string SchemaVersionTable = "schema_migrations";

    /// <summary>
    /// Waits for the database (it may still be starting next to us), then applies every migration set registered
    /// with <see cref="SchemaMigrationsServiceCollectionExtensions.AddSchemaMigrations"/>, in registration order.
    /// </summary>
    /// <returns>The schema version: the version recorded in <see cref="SchemaVersionTable"/> (0 when that set is not registered).</returns>
    public static async Task<int> MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaMigrator).FullName!);
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var sets = services.GetServices<MigrationSet>().ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var versions = await MigrateAsync(dataSource, sets, logger, cancellationToken);
                return versions.GetValueOrDefault(SchemaVersionTable);
            }
            catch (NpgsqlException e) when (e.IsTransient || e.InnerException is System.Net.Sockets.SocketException)
            {
                if (attempt >= 60)
                {
                    throw;
                }
                LogWaiting(logger, e.Message, attempt);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>Applies <paramref name="sets"/> in order under the cluster-wide lock.</summary>
    /// <returns>Each set's version afterwards, by its table.</returns>
    public static async Task<IReadOnlyDictionary<string, int>> MigrateAsync(NpgsqlDataSource dataSource, IReadOnlyList<MigrationSet> sets, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await LockAsync(connection, AdvisoryLockKeys.SchemaMigrations, cancellationToken);
        try
        {
            var versions = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var set in sets)
            {
                // A node of the previous version applies this set under its own lock only, not the cluster-wide one:
                // holding both keeps the two from applying one migration at once during a rolling upgrade. (Those
                // nodes never hold two of these locks at once, so taking the second inside the first cannot deadlock.)
                if (set.LockKey is { } setLock)
                {
                    await LockAsync(connection, setLock, cancellationToken);
                }
                versions[set.Table] = await ApplyAsync(connection, set, logger, cancellationToken);
                if (set.LockKey is { } held)
                {
                    await connection.ExecuteAsync("SELECT pg_advisory_unlock(@held)", new { held });
                }
                LogReady(logger, set.Table, versions[set.Table]);
            }
            return versions;
        }
        finally
        {
            // Pooled connections are not reset on return (NoResetOnClose), so release whatever a failure left held;
            // a broken connection's session, and its locks, are gone already.
            if (connection.FullState == ConnectionState.Open)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock_all()");
            }
        }
    }

    private static async Task<int> ApplyAsync(NpgsqlConnection connection, MigrationSet set, ILogger logger, CancellationToken cancellationToken)
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

    private static Task LockAsync(NpgsqlConnection connection, long key, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key }, cancellationToken: cancellationToken, commandTimeout: 0));

    [LoggerMessage(LogLevel.Information, "Applied migration {Version} ({Name}) recorded in {Table}")]
    private static partial void LogApplied(ILogger logger, string table, int version, string name);

    [LoggerMessage(LogLevel.Information, "Schema {Table} at version {Version}")]
    private static partial void LogReady(ILogger logger, string table, int version);

    [LoggerMessage(LogLevel.Warning, "Database not reachable yet ({Reason}); attempt {Attempt}")]
    private static partial void LogWaiting(ILogger logger, string reason, int attempt);
}
