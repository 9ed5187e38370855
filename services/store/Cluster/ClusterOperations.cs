using System.Runtime.InteropServices;
using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.Configuration;
using Chat.Store.Caching;
using Chat.Store.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Store.Cluster;

/// <summary>
/// What every node of every service does when the cluster asks: reload the configuration ("config" topic), recycle
/// the database pools ("database"), drop cache entries ("store.invalidate"). Also reloads on SIGHUP, which works
/// while the database (and with it the event log) is unreachable, e.g. in the middle of a failover.
/// </summary>
public sealed partial class ClusterOperations(IEventBus bus, LiveConfig config, DatabaseRouter router, StoreCaches caches, ILogger<ClusterOperations> logger) : IHostedService
{
    public const string ConfigTopic = "config";
    public const string DatabaseTopic = "database";

    private readonly List<IDisposable> subscriptions = [];
    private PosixSignalRegistration? hangup;

    public static ClusterEvent ReloadEvent() => ClusterEvent.Create(ConfigTopic, "reload", new { });

    public static ClusterEvent RecycleEvent() => ClusterEvent.Create(DatabaseTopic, "recycle", new { });

    public Task StartAsync(CancellationToken cancellationToken)
    {
        subscriptions.Add(bus.Subscribe(ConfigTopic, (e, _) =>
        {
            Reload("cluster event");
            return Task.CompletedTask;
        }));
        subscriptions.Add(bus.Subscribe(DatabaseTopic, (e, _) =>
        {
            router.Recycle();
            return Task.CompletedTask;
        }));
        subscriptions.Add(bus.Subscribe(StoreCaches.Topic, (e, _) =>
        {
            if (e.Data.Deserialize<CacheInvalidation>() is { } invalidation)
            {
                caches.Apply(invalidation);
            }
            return Task.CompletedTask;
        }));
        if (!OperatingSystem.IsWindows())
        {
            hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                Reload("SIGHUP");
            });
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        hangup?.Dispose();
        subscriptions.ForEach(s => s.Dispose());
        return Task.CompletedTask;
    }

    /// <summary>Reloads this node; an invalid source changes nothing (the node keeps running on what it has).</summary>
    public ConfigChange? Reload(string trigger)
    {
        try
        {
            var change = config.Reload();
            LogReloaded(logger, trigger, string.Join(", ", change.Applied), string.Join(", ", change.RequiresRestart));
            return change;
        }
        catch (ConfigException e)
        {
            LogReloadRefused(logger, trigger, e.Message);
            return null;
        }
    }

    [LoggerMessage(LogLevel.Information, "Configuration reloaded ({Trigger}); applied: [{Applied}]; needs a restart: [{RequiresRestart}]")]
    private static partial void LogReloaded(ILogger logger, string trigger, string applied, string requiresRestart);

    [LoggerMessage(LogLevel.Error, "Configuration reload ({Trigger}) refused, keeping the current one: {Problem}")]
    private static partial void LogReloadRefused(ILogger logger, string trigger, string problem);
}
