using Chat.BuildingBlocks.Dapr;
using Chat.BuildingBlocks.PubSub;
using Chat.BuildingBlocks.PubSub.Dapr;
using Chat.BuildingBlocks.PubSub.Embedded;
using Chat.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.BuildingBlocks;

public static class BuildingBlocksServiceCollectionExtensions
{
    /// <summary>
    /// Registers the provider that <see cref="DaprSettings.Provider"/> selects behind <see cref="IEventBus"/>, and
    /// <see cref="IEventLog"/> (the positioned log, in both modes), as hosted services (it migrates its tables and starts following events when the host starts). Needs the
    /// NpgsqlDataSource of the store in both modes: the event log is also the transactional outbox.
    /// </summary>
    public static IServiceCollection AddBuildingBlocks(this IServiceCollection services, ChatConfig config, Action<BuildingBlocksOptions>? configure = null)
    {
        var environment = Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        var options = BuildingBlocksOptions.FromConfig(config, environment);
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddSingleton<BuildingBlocksMigrator>();
        // The log with positions, for readers that replay (realtime delivery); the same table in both providers.
        services.AddSingleton<ClusterEventLog>();
        services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<ClusterEventLog>());
        services.AddHostedService(sp => sp.GetRequiredService<ClusterEventLog>());
        if (options.Provider == BuildingBlockProvider.Dapr)
        {
            services.AddSingleton(_ => new DaprSidecarClient(options.Dapr));
            services.AddSingleton<DaprEventBus>();
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<DaprEventBus>());
            services.AddHostedService(sp => sp.GetRequiredService<DaprEventBus>());
        }
        else
        {
            services.AddSingleton<EmbeddedEventBus>();
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<EmbeddedEventBus>());
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedEventBus>());
        }
        return services;
    }

    /// <summary>The endpoints the Dapr sidecar calls (Dapr provider only; nothing in embedded mode).</summary>
    public static IEndpointRouteBuilder MapBuildingBlocks(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<BuildingBlocksOptions>().Provider == BuildingBlockProvider.Dapr)
        {
            app.MapDaprPubSub();
        }
        return app;
    }

    /// <summary>Applies the building blocks' migrations now (the hosted services also do, at start).</summary>
    public static Task MigrateBuildingBlocksAsync(this IServiceProvider services, CancellationToken cancellationToken = default) =>
        services.GetRequiredService<BuildingBlocksMigrator>().MigrateAsync(cancellationToken);
}
