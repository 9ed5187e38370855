using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Cluster;
using Chat.Api.Config;
using Chat.Api.Database;
using Chat.Api.DataRetention;
using Chat.Api.Events;
using Chat.Api.Jobs;
using Chat.Api.License;
using Chat.Api.Limits;
using Chat.Api.Plugins;
using Chat.Api.Posts;
using Chat.Api.Preferences;
using Chat.Api.System;
using Chat.Api.Teams;
using Chat.Api.Users;
using Chat.Jobs.Core;
using Microsoft.AspNetCore.Identity;

namespace Chat.Api;

public static class ApiV4
{
    public static IServiceCollection AddApplicationServices(this IServiceCollection services)
    {
        services.AddSingleton<IPasswordHasher<Chat.Store.Model.User>, PasswordHasher<Chat.Store.Model.User>>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<UserService>();
        services.AddSingleton<PreferenceService>();
        services.AddSingleton<TeamService>();
        services.AddSingleton<ChannelService>();
        services.AddSingleton<PostWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<PostWriter>());
        services.AddSingleton<PostService>();
        services.AddSingleton<PostSearchService>();
        services.AddSingleton<ClusterService>();
        services.AddSingleton<ConfigService>();
        services.AddJobsCore();
        services.AddSingleton<JobService>();
        services.AddSingleton<DataRetentionService>();
        services.AddPlugins();
        return services;
    }

    /// <summary>Mattermost's REST API v4, one group per resource.</summary>
    public static IEndpointRouteBuilder MapApiV4(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v4").AddEndpointFilter<ReadRoutingFilter>();
        api.MapUsers();
        api.MapPreferences();
        api.MapRoles();
        api.MapLicense();
        api.MapLimits();
        api.MapTeams();
        api.MapChannels();
        api.MapPosts();
        api.MapSystem();
        api.MapCluster();
        api.MapConfig();
        api.MapDatabase();
        api.MapJobs();
        api.MapDataRetention();
        api.MapPlugins();
        app.MapClusterAdminPage();
        return app;
    }
}
