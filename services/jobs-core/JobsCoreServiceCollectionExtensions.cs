using Chat.SchemaMigrations;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Jobs.Core;

public static class JobsCoreServiceCollectionExtensions
{
    /// <summary>
    /// The job and retention policy stores (api and jobs nodes) and their migration set, versioned apart from the
    /// store's; add it after the store, since the set indexes posts.
    /// </summary>
    public static IServiceCollection AddJobsCore(this IServiceCollection services)
    {
        services.AddSchemaMigrations(MigrationSet.FromAssembly(typeof(JobsCoreServiceCollectionExtensions).Assembly, "jobs_migrations", AdvisoryLockKeys.JobsMigrations));
        services.AddSingleton<JobStore>();
        services.AddSingleton<RetentionPolicyStore>();
        return services;
    }
}
