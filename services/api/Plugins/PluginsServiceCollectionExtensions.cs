using Chat.Plugins.Bundles;

namespace Chat.Api.Plugins;

public static class PluginsServiceCollectionExtensions
{
    /// <summary>The plugin API's app layer and the synchronizer that keeps this node's plugins in step with the plugins table.</summary>
    public static IServiceCollection AddPlugins(this IServiceCollection services)
    {
        services.AddPluginBundles();
        services.AddSingleton<PluginService>();
        services.AddSingleton<PluginSynchronizer>();
        services.AddHostedService(sp => sp.GetRequiredService<PluginSynchronizer>());
        return services;
    }
}
