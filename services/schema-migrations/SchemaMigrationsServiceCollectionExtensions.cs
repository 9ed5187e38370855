using Microsoft.Extensions.DependencyInjection;

namespace Chat.SchemaMigrations;

public static class SchemaMigrationsServiceCollectionExtensions
{
    /// <summary>
    /// Registers a library's migration set, to be applied after the sets registered before it (a set that builds on
    /// another library's tables is registered after that library's). Registering the same set again changes nothing.
    /// </summary>
    public static IServiceCollection AddSchemaMigrations(this IServiceCollection services, MigrationSet set)
    {
        if (!services.Any(d => d.ServiceType == typeof(MigrationSet) && d.ImplementationInstance is MigrationSet registered && registered.Table == set.Table))
        {
            services.AddSingleton(set);
        }
        return services;
    }
}
