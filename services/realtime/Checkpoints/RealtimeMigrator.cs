using Chat.SchemaMigrations;
using Npgsql;

namespace Chat.Realtime.Checkpoints;

/// <summary>The realtime service's own tables (Migrations/), versioned apart from the store's and the building blocks'.</summary>
internal sealed class RealtimeMigrator(NpgsqlDataSource dataSource, ILogger<RealtimeMigrator> logger)
{
    private const long LockKey = 0x43_68_61_74_52_54_4D;

    private static readonly MigrationSet Set = MigrationSet.FromAssembly(typeof(RealtimeMigrator).Assembly, "realtime_migrations", LockKey);

    public Task MigrateAsync(CancellationToken cancellationToken) => SchemaMigrator.MigrateAsync(dataSource, Set, logger, cancellationToken);
}
