using Chat.Configuration;
using Chat.Store.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Chat.Store;

public static class StoreServiceCollectionExtensions
{
    /// <summary>The PostgreSQL pool, the migrator and one store per aggregate.</summary>
    public static IServiceCollection AddChatStore(this IServiceCollection services, ChatConfig config, string applicationName)
    {
        ConfigValidator.RequireDatabase(config);
        services.AddSingleton(_ => ChatDatabase.CreateDataSource(config.SqlSettings, applicationName));
        services.AddSingleton<Migrator>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<TeamStore>();
        services.AddSingleton<ChannelStore>();
        services.AddSingleton<PostStore>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }
}
