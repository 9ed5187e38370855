using Chat.SchemaMigrations;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>The store's schema: the SQL files under Migrations/, recorded in schema_migrations.</summary>
public sealed class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Arbitrary but fixed: every node must contend for the same advisory lock.
    private const long LockKey = 0x43_68_61_74_4D_69_67;

    public static MigrationSet Set { get; } = MigrationSet.FromAssembly(typeof(Migrator).Assembly, "schema_migrations", LockKey);

    public Task<int> MigrateAsync(CancellationToken cancellationToken) => SchemaMigrator.MigrateAsync(dataSource, Set, logger, cancellationToken);
}
