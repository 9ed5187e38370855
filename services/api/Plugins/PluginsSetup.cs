using Chat.Plugins.Bundles;

namespace Chat.Api.Plugins;

public static class PluginsSetup
{
    public static IServiceCollection AddPlugins(this IServiceCollection services)
    {
        services.AddSingleton<PluginStore>();
        services.AddSingleton<PluginService>();
        services.AddSingleton<PluginSynchronizer>();
        services.AddHostedService(sp => sp.GetRequiredService<PluginSynchronizer>());
        return services;
    }

    /// <summary>The plugins tables (their own migration set, like the other libraries').</summary>
    public static Task<int> MigratePluginsAsync(this IServiceProvider services, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<PluginStore>().MigrateAsync(
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PluginStore).FullName!), cancellationToken);
}
