using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Cluster;
using Chat.Api.Config;
using Chat.Api.Database;
using Chat.Api.DataRetention;
using Chat.Api.Emoji;
using Chat.Api.Files;
using Chat.Api.Jobs;
using Chat.Api.License;
using Chat.Api.Limits;
using Chat.Api.Pins;
using Chat.Api.Plugins;
using Chat.Api.PostLists;
using Chat.Api.Posts;
using Chat.Api.Stats;
using Chat.Api.Reactions;
using Chat.Api.Statuses;
using Chat.Api.Preferences;
using Chat.Api.System;
using Chat.Api.Teams;
using Chat.Api.Threads;
using Chat.Api.Users;

namespace Chat.Api;

public static class ApiV4
{
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
        api.MapReadState();
        api.MapPosts();
        api.MapPins();
        api.MapPostLists();
        api.MapStats();
        api.MapReactions();
        api.MapEmoji();
        api.MapThreads();
        api.MapFiles();
        api.MapProfileImages();
        api.MapStatuses();
        api.MapSystem();
        api.MapCluster();
        api.MapConfig();
        api.MapDatabase();
        api.MapJobs();
        api.MapDataRetention();
        api.MapPlugins();
        app.MapClusterAdminPage();
        app.MapPublicFiles();
        return app;
    }
}
