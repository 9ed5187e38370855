using Chat.SchemaMigrations;
using Chat.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.ClusterMembership;

public static partial class ClusterMembershipServiceCollectionExtensions
{
    /// <summary>Exit code of a node that refuses to start because the database schema is beyond its version.</summary>
    public const int IncompatibleSchemaExitCode = 76;

    /// <summary>
    /// The discovery table with its migration set, and this node's heartbeat (a hosted service, once
    /// <see cref="JoinClusterAsync"/> has run).
    /// </summary>
    public static IServiceCollection AddClusterMembership(this IServiceCollection services)
    {
        services.AddSchemaMigrations(MigrationSet.FromAssembly(typeof(ClusterDiscovery).Assembly, "cluster_membership_migrations", AdvisoryLockKeys.ClusterMembershipMigrations));
        services.AddSingleton<ClusterDiscovery>();
        services.AddHostedService<Heartbeat>();
        return services;
    }

    /// <summary>
    /// Registers this node in cluster_discovery. Call after <see cref="SchemaMigrator.MigrateDatabaseAsync"/> and
    /// before the node listens; a node whose version the schema no longer supports stops here with a message saying
    /// which version it needs.
    /// </summary>
    /// <param name="schemaVersion">The schema version the node runs against, as MigrateDatabaseAsync returns it (cluster status shows it).</param>
    public static async Task JoinClusterAsync(this IServiceProvider services, int schemaVersion, CancellationToken cancellationToken = default)
    {
        try
        {
            await services.GetRequiredService<ClusterDiscovery>().JoinAsync(schemaVersion, cancellationToken);
        }
        catch (IncompatibleSchemaException e)
        {
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterMembershipServiceCollectionExtensions).FullName!);
            var node = services.GetRequiredService<NodeInfo>();
            LogRefused(logger, node.Version, e.Message);
            Console.Error.WriteLine($"Refusing to start: {e.Message}");
            Environment.Exit(IncompatibleSchemaExitCode);
        }
    }

    [LoggerMessage(LogLevel.Critical, "Refusing to start version {Version}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string version, string reason);
}
