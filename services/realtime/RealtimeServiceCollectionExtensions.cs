using System.Net.WebSockets;
using Chat.Authentication;
using Chat.Configuration;
using Chat.Realtime.Checkpoints;
using Chat.Realtime.Connections;
using Chat.Realtime.Delivery;
using Chat.Realtime.Hubs;
using Chat.Realtime.Presence;
using Chat.Realtime.Sessions;
using Chat.Realtime.WebSockets;
using Chat.SchemaMigrations;
using Chat.ServiceDefaults;

namespace Chat.Realtime;

public static class RealtimeServiceCollectionExtensions
{
    /// <summary>The WebSocket delivery: the node's log dispatcher, connection checkpoints (their migration set), the session sweep and presence. Needs the store and the building blocks.</summary>
    public static IServiceCollection AddRealtime(this IServiceCollection services, ChatConfig config)
    {
        services.AddSingleton(new RealtimeOptions(config));
        services.AddSchemaMigrations(MigrationSet.FromAssembly(typeof(RealtimeServiceCollectionExtensions).Assembly, "realtime_migrations", AdvisoryLockKeys.RealtimeMigrations));
        services.AddSingleton<CheckpointStore>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<SocketLimits>();
        services.AddSingleton<MembershipSnapshot>();
        services.AddSingleton<ConnectionLifecycle>();
        services.AddSingleton<WebSocketProtocol>();
        services.AddSingleton<EventDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<EventDispatcher>());
        services.AddSingleton<Checkpointer>();
        services.AddHostedService(sp => sp.GetRequiredService<Checkpointer>());
        services.AddHostedService<SessionWatcher>();
        services.AddSingleton<SocketStore>();
        services.AddSingleton<PresenceTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<PresenceTracker>());
        services.AddSignalR();
        return services;
    }

    /// <summary>The WebSocket endpoint and the SignalR hub; on shutdown every connection is closed ("going away"), so clients resume on another node.</summary>
    public static WebApplication MapRealtime(this WebApplication app)
    {
        app.UseWebSockets();
        // A page on another site must not ride the browser's cookie into a user's event stream: both socket
        // endpoints (the hub's negotiate and connect requests too) answer such a request 403 before anything else.
        var settings = app.Services.GetRequiredService<ChatConfig>();
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/api/v4/websocket") || context.Request.Path.StartsWithSegments(EventsHub.Path),
            sockets => sockets.Use((context, next) =>
                SessionTokens.Read(context.Request).FromCookie && !OriginPolicy.AllowsCookieFrom(context.Request, settings.ServiceSettings)
                    ? throw AppErrorException.Forbidden("a cross-origin socket with a session cookie")
                    : next(context)));
        app.MapWebSocketEndpoints();
        app.MapHub<EventsHub>(EventsHub.Path);
        var registry = app.Services.GetRequiredService<ConnectionRegistry>();
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            foreach (var connection in registry.All)
            {
                _ = connection.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            }
        });
        return app;
    }
}
