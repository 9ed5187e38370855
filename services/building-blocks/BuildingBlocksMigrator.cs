using Chat.SchemaMigrations;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.BuildingBlocks;

/// <summary>
/// Applies this library's own SQL migrations (embedded resources), separately versioned from the store's so the
/// library stays self-contained. Every node runs it at start-up under a cluster-wide advisory lock.
/// </summary>
public sealed class BuildingBlocksMigrator(NpgsqlDataSource dataSource, ILogger<BuildingBlocksMigrator> logger)
{
    // Distinct from the store's migration lock, so the two never wait on each other.
    private const long LockKey = 0x43_68_61_74_42_42_4D;

    private static readonly MigrationSet Set = MigrationSet.FromAssembly(typeof(BuildingBlocksMigrator).Assembly, "building_block_migrations", LockKey);

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
                await SchemaMigrator.MigrateAsync(dataSource, Set, logger, cancellationToken);
                done = true;
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
