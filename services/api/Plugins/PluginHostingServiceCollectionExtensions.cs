using Chat.Configuration;
using Chat.Plugins.Hosting;

namespace Chat.Api.Plugins;

/// <summary>The plugin runtime of an api node: plugin processes, their hooks, the plugin API and ServeHTTP.</summary>
public static class PluginHostingServiceCollectionExtensions
{
    public static IServiceCollection AddPluginHosting(this IServiceCollection services, ChatConfig config)
    {
        services.AddSingleton(PluginHostOptions.FromConfig(config));
        services.AddSingleton<PluginRuntime>();
        services.AddSingleton<IPluginRuntime>(sp => sp.GetRequiredService<PluginRuntime>());
        services.AddHostedService(sp => sp.GetRequiredService<PluginRuntime>());
        services.AddSingleton<PluginHooks>();
        services.AddSingleton<PluginApiDispatcher>();
        services.AddSingleton<PluginKeyValueStore>();
        services.AddSingleton<IPluginServerApi, PluginServerApi>();
        return services;
    }
}
