using Chat.Configuration;
using Chat.Store.Caching;
using Chat.Store.Cluster;
using Chat.Store.Postgres;
using Chat.Store.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Store;

public static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// The PostgreSQL pools (primary and replicas, <see cref="DatabaseRouter"/>), the migrator, one store per
    /// aggregate with its caches, and the node's live configuration with the cluster operations that change it
    /// (reload, pool recycle, cache invalidation; they need the building blocks' IEventBus).
    /// </summary>
    public static IServiceCollection AddChatStore(this IServiceCollection services, ChatConfig config, string applicationName)
    {
        ConfigValidator.RequireDatabase(config);
        services.AddSingleton(new LiveConfig(config));
        services.AddSingleton(_ => ChatDatabase.CreateDataSource(config.SqlSettings, applicationName));
        services.AddSingleton(sp => new DatabaseRouter(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<LiveConfig>(), applicationName, sp.GetRequiredService<ILogger<DatabaseRouter>>()));
        services.AddSingleton<ReadRouting>();
        services.AddSingleton<StoreCaches>();
        services.AddSingleton<ClusterOperations>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterOperations>());
        services.AddSingleton<Migrator>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<TeamStore>();
        services.AddSingleton<ChannelStore>();
        services.AddSingleton<PostStore>();
        services.AddSingleton<PostSearchStore>();
        services.AddSingleton<PreferenceStore>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }
}
