using Chat.BuildingBlocks.Dapr;
using Chat.BuildingBlocks.Embedded;
using Chat.BuildingBlocks.Locks;
using Chat.BuildingBlocks.Locks.Dapr;
using Chat.BuildingBlocks.Locks.Embedded;
using Chat.BuildingBlocks.PubSub;
using Chat.BuildingBlocks.PubSub.Dapr;
using Chat.BuildingBlocks.PubSub.Embedded;
using Chat.BuildingBlocks.Reminders;
using Chat.BuildingBlocks.Reminders.Dapr;
using Chat.BuildingBlocks.Reminders.Embedded;
using Chat.BuildingBlocks.State;
using Chat.BuildingBlocks.State.Dapr;
using Chat.BuildingBlocks.State.Embedded;
using Chat.Configuration;
using Chat.SchemaMigrations;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.BuildingBlocks;

public static class BuildingBlocksServiceCollectionExtensions
{
    /// <summary>The tables of the embedded providers and the event log, versioned apart from the store's.</summary>
    internal static MigrationSet Migrations { get; } =
        MigrationSet.FromAssembly(typeof(BuildingBlocksServiceCollectionExtensions).Assembly, "building_block_migrations", AdvisoryLockKeys.BuildingBlocksMigrations);

    /// <summary>
    /// Registers the provider that <see cref="DaprSettings.Provider"/> selects behind <see cref="IEventBus"/>,
    /// <see cref="IStateStore"/>, <see cref="IDistributedLock"/> and <see cref="IActorReminders"/>, and
    /// <see cref="IEventLog"/> (the positioned log, in both modes), with the hosted services they need (they start
    /// following events, polling reminders and pruning when the host starts), and this library's migration set. Needs
    /// the NpgsqlDataSource of the store in both modes: the event log is also the transactional outbox, and the Dapr
    /// state provider keeps its key index there.
    /// </summary>
    public static IServiceCollection AddBuildingBlocks(this IServiceCollection services, ChatConfig config, Action<BuildingBlocksOptions>? configure = null)
    {
        var environment = Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        var options = BuildingBlocksOptions.FromConfig(config, environment);
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddSchemaMigrations(Migrations);
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
            services.AddSingleton<IStateStore, DaprStateStore>();
            services.AddSingleton<IDistributedLock, DaprDistributedLock>();
            services.AddSingleton<DaprActorReminders>();
            services.AddSingleton<IActorReminders>(sp => sp.GetRequiredService<DaprActorReminders>());
        }
        else
        {
            services.AddSingleton<EmbeddedEventBus>();
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<EmbeddedEventBus>());
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedEventBus>());
            services.AddSingleton<IStateStore, EmbeddedStateStore>();
            services.AddSingleton<IDistributedLock, EmbeddedDistributedLock>();
            services.AddSingleton<EmbeddedActorReminders>();
            services.AddSingleton<IActorReminders>(sp => sp.GetRequiredService<EmbeddedActorReminders>());
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedActorReminders>());
        }
        // Expired state entries, key-index rows and locks: both modes (the Dapr state provider's key index is ours).
        services.AddHostedService<ExpiredRowPruner>();
        return services;
    }

    /// <summary>
    /// The endpoints the Dapr sidecar calls (Dapr provider only; nothing in embedded mode): pub/sub's
    /// GET /dapr/subscribe and delivery routes, actors' GET /dapr/config and reminder callbacks.
    /// </summary>
    public static IEndpointRouteBuilder MapBuildingBlocks(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<BuildingBlocksOptions>().Provider == BuildingBlockProvider.Dapr)
        {
            app.MapDaprPubSub();
            app.MapDaprActors();
        }
        return app;
    }
}
