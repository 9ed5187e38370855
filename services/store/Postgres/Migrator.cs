using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>
/// Applies the SQL migrations embedded in this assembly. Every node runs it at start-up; a cluster-wide
/// advisory lock lets the first one migrate while the others wait and then find nothing left to do.
/// </summary>
public sealed partial class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Arbitrary but fixed: every node must contend for the same advisory lock.
    private const long LockKey = 0x43_68_61_74_4D_69_67;

    public static IReadOnlyList<Migration> All { get; } = LoadMigrations();

    /// <summary>The schema version this build expects.</summary>
    public static int CodeVersion => All[^1].Version;

    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: cancellationToken, commandTimeout: 0));
        try
        {
            await connection.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """);
            var applied = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToHashSet();
            foreach (var migration in All.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: tx, cancellationToken: cancellationToken, commandTimeout: 0));
                await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name) VALUES (@Version, @Name)", migration, tx);
                await tx.CommitAsync(cancellationToken);
                LogApplied(migration.Version, migration.Name);
            }
            return await connection.ExecuteScalarAsync<int>("SELECT coalesce(max(version), 0) FROM schema_migrations");
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { LockKey });
        }
    }

    private static List<Migration> LoadMigrations()
    {
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (!match.Success)
            {
                continue;
            }
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        if (migrations.Count == 0 || migrations.Select(m => m.Version).Distinct().Count() != migrations.Count)
        {
            throw new InvalidOperationException("Embedded migrations are missing or have duplicate versions.");
        }
        return migrations;
    }

    [GeneratedRegex(@"Migrations\.(\d{4})_(\w+)\.sql$")]
    private static partial Regex MigrationName();

    [LoggerMessage(LogLevel.Information, "Applied schema migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);
}

public sealed record Migration(int Version, string Name, string Sql);
