using Chat.SchemaMigrations;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Plugins.Bundles;

public static class PluginBundlesServiceCollectionExtensions
{
    /// <summary>The plugins table and the per-node statuses (<see cref="PluginStore"/>) with their migration set.</summary>
    public static IServiceCollection AddPluginBundles(this IServiceCollection services)
    {
        services.AddSchemaMigrations(MigrationSet.FromAssembly(typeof(PluginBundlesServiceCollectionExtensions).Assembly, "plugin_migrations", AdvisoryLockKeys.PluginMigrations));
        services.AddSingleton<PluginStore>();
        return services;
    }
}
