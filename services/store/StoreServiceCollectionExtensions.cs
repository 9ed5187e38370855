using Chat.Configuration;
using Chat.SchemaMigrations;
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
    /// The PostgreSQL pools (primary and replicas, <see cref="DatabaseRouter"/>), the store's migration set, one
    /// store per aggregate with its caches, and the node's live configuration with the cluster operations that change
    /// it (reload, pool recycle, cache invalidation; they need the building blocks' IEventBus). Add it first: other
    /// libraries' migration sets may build on its tables (jobs-core indexes posts).
    /// </summary>
    public static IServiceCollection AddStore(this IServiceCollection services, ChatConfig config, string applicationName)
    {
        ConfigValidator.RequireDatabase(config);
        // The store's set kept the runner's original table, which records the schema version nodes report.
        services.AddSchemaMigrations(MigrationSet.FromAssembly(typeof(StoreServiceCollectionExtensions).Assembly, SchemaMigrator.SchemaVersionTable));
        services.AddSingleton(new LiveConfig(config));
        services.AddSingleton(_ => ChatDatabase.CreateDataSource(config.SqlSettings, applicationName));
        services.AddSingleton(sp => new DatabaseRouter(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<LiveConfig>(), applicationName, sp.GetRequiredService<ILogger<DatabaseRouter>>()));
        services.AddSingleton<ReadRouting>();
        services.AddSingleton<StoreCaches>();
        services.AddSingleton<ClusterOperations>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterOperations>());
        services.AddSingleton<UserStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<TeamStore>();
        services.AddSingleton<ChannelStore>();
        services.AddSingleton<PostStore>();
        services.AddSingleton<PostSearchStore>();
        services.AddSingleton<FileInfoStore>();
        services.AddSingleton<StatusStore>();
        services.AddSingleton<ReadStateStore>();
        services.AddSingleton<PreferenceStore>();
        services.AddSingleton<StatsStore>();
        services.AddSingleton<ReactionStore>();
        services.AddSingleton<EmojiStore>();
        services.AddSingleton<ThreadStore>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }
}
