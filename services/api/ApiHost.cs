using Chat.Api.Plugins;
using Chat.Api.RateLimiting;
using Chat.Authentication;
using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.Configuration;
using Chat.FileStorage;
using Chat.ServiceDefaults;
using Chat.Store;

namespace Chat.Api;

/// <summary>
/// The api's services, middleware and routes. Building it touches neither the database nor the network, so the
/// permission matrix test builds one in-process to read the real route table (and fail on a route it does not cover).
/// </summary>
public static class ApiHost
{
    public static WebApplication Build(string[] args, ChatConfig? config = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        config = config is null ? builder.AddServiceDefaults("api") : builder.AddServiceDefaults("api", config);
        builder.Services.AddStore(config, "chat-api");
        builder.Services.AddClusterMembership();
        builder.Services.AddSessionAuthentication();
        builder.Services.AddBuildingBlocks(config);
        builder.Services.AddFileStorage(config);
        builder.Services.AddApiV4();
        builder.Services.AddPluginHosting(config);
        return builder.Build();
    }

    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseServiceDefaults();
        app.UseAuthentication();
        app.UseRequestRateLimits();
        app.UseAuthorization();
        app.MapDefaultEndpoints();
        app.MapApiV4();
        app.MapPluginHttp();
        app.MapBuildingBlocks();
        return app;
    }
}
