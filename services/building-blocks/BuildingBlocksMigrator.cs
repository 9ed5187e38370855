using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks;

/// <summary>
/// Applies this library's own SQL migrations (embedded resources), separately versioned from the store's so the
/// library stays self-contained. Every node runs it at start-up under a cluster-wide advisory lock.
/// </summary>
public sealed partial class BuildingBlocksMigrator(NpgsqlDataSource dataSource, ILogger<BuildingBlocksMigrator> logger)
{
    // Distinct from the store's migration lock, so the two never wait on each other.
    private const long LockKey = 0x43_68_61_74_42_42_4D;

    private static readonly IReadOnlyList<(int Version, string Name, string Sql)> All = Load();

    private readonly SemaphoreSlim gate = new(1, 1);
    private bool done;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (done)
        {
            return;
        }
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!done)
            {
                await ApplyAsync(cancellationToken);
                done = true;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: cancellationToken, commandTimeout: 0));
        try
        {
            await connection.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS building_block_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """);
            var applied = (await connection.QueryAsync<int>("SELECT version FROM building_block_migrations")).ToHashSet();
            foreach (var (version, name, sql) in All.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: cancellationToken, commandTimeout: 0));
                await connection.ExecuteAsync("INSERT INTO building_block_migrations (version, name) VALUES (@version, @name)", new { version, name }, tx);
                await tx.CommitAsync(cancellationToken);
                LogApplied(version, name);
            }
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { LockKey });
        }
    }

    private static List<(int, string, string)> Load()
    {
        var assembly = typeof(BuildingBlocksMigrator).Assembly;
        var migrations = new List<(int Version, string Name, string Sql)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (match.Success)
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
                migrations.Add((int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
            }
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        return migrations.Count > 0 && migrations.Select(m => m.Version).Distinct().Count() == migrations.Count
            ? migrations
            : throw new InvalidOperationException("Embedded building-block migrations are missing or have duplicate versions.");
    }

    [GeneratedRegex(@"Migrations\.(\d{4})_(\w+)\.sql$")]
    private static partial Regex MigrationName();

    [LoggerMessage(LogLevel.Information, "Applied building-block migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);
}
