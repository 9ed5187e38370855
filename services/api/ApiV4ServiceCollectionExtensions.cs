using Chat.Api.Channels;
using Chat.Api.Cluster;
using Chat.Api.Config;
using Chat.Api.DataRetention;
using Chat.Api.Emoji;
using Chat.Api.Events;
using Chat.Api.Files;
using Chat.Api.Jobs;
using Chat.Api.Pins;
using Chat.Api.Plugins;
using Chat.Api.PostLists;
using Chat.Api.Posts;
using Chat.Api.Reactions;
using Chat.Api.Preferences;
using Chat.Api.Stats;
using Chat.Api.Statuses;
using Chat.Api.Teams;
using Chat.Api.Threads;
using Chat.Api.Users;
using Chat.Jobs.Core;
using Microsoft.AspNetCore.Identity;

namespace Chat.Api;

public static class ApiV4ServiceCollectionExtensions
{
    /// <summary>The app layer behind <see cref="ApiV4.MapApiV4"/>: one service per resource, the outbox, jobs and plugins.</summary>
    public static IServiceCollection AddApiV4(this IServiceCollection services)
    {
        services.AddSingleton<IPasswordHasher<Chat.Store.Model.User>, PasswordHasher<Chat.Store.Model.User>>();
        services.AddSingleton<RateLimiting.RequestRateLimits>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<UserService>();
        services.AddSingleton<PreferenceService>();
        services.AddSingleton<UserSearchService>();
        services.AddSingleton<TeamService>();
        services.AddSingleton<TeamDirectoryService>();
        services.AddSingleton<ChannelService>();
        services.AddSingleton<ReadStateService>();
        services.AddSingleton<ChannelDirectoryService>();
        services.AddSingleton<GroupChannelService>();
        services.AddSingleton<SystemPosts>();
        services.AddSingleton<ReplyThreads>();
        services.AddSingleton<ThreadService>();
        services.AddSingleton<PostWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<PostWriter>());
        services.AddSingleton<PostFiles>();
        services.AddSingleton<FileService>();
        services.AddSingleton<PostService>();
        services.AddSingleton<PostSearchService>();
        services.AddSingleton<PinService>();
        services.AddSingleton<PostListService>();
        services.AddSingleton<StatsService>();
        services.AddSingleton<PostReactionMetadata>();
        services.AddSingleton<ReactionService>();
        services.AddSingleton<EmojiService>();
        services.AddSingleton<StatusService>();
        services.AddSingleton<ClusterService>();
        services.AddSingleton<ConfigService>();
        services.AddJobsCore();
        services.AddSingleton<JobService>();
        services.AddSingleton<DataRetentionService>();
        services.AddPlugins();
        return services;
    }
}
