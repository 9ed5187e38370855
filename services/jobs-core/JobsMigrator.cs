using Chat.SchemaMigrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Jobs.Core;

/// <summary>
/// The jobs schema (jobs, leader record, retention policies), versioned apart from the store's like the other
/// libraries' sets. Both api and jobs nodes apply it at start-up, after the store's (it indexes posts).
/// </summary>
public static class JobsMigrator
{
    // Distinct from the other sets' advisory locks.
    private const long LockKey = 0x43_68_61_74_4A_6F_62;

    private static readonly MigrationSet Set = MigrationSet.FromAssembly(typeof(JobsMigrator).Assembly, "jobs_migrations", LockKey);

    public static Task<int> MigrateJobsAsync(this IServiceProvider services, CancellationToken cancellationToken = default) =>
        SchemaMigrator.MigrateAsync(
            services.GetRequiredService<NpgsqlDataSource>(), Set,
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(JobsMigrator).FullName!), cancellationToken);

    /// <summary>The job and retention policy stores (api and jobs nodes).</summary>
    public static IServiceCollection AddJobsCore(this IServiceCollection services)
    {
        services.AddSingleton<JobStore>();
        services.AddSingleton<RetentionPolicyStore>();
        return services;
    }
}
