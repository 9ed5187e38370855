using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Chat.BuildingBlocks.PubSub;
using Chat.ClusterMembership;
using Chat.Configuration;
using Chat.Plugins.Bundles;
using Chat.Plugins.Hosting;
using Chat.ServiceDefaults;

namespace Chat.Api.Plugins;

/// <summary>
/// Keeps this api node's plugins in line with the plugins table, the cluster's truth: unpacks each installed bundle
/// from the shared file storage into this node's PluginSettings.Directory (nodes may run on different machines),
/// has the runtime run the enabled ones (none while PluginSettings.Enable is false), stops and deletes what was
/// disabled or removed, and reports this node's statuses to the plugin_statuses table. It compares at start-up,
/// whenever a plugin change's cluster event or a configuration reload arrives, and every
/// <see cref="ResyncInterval"/> anyway, so a node that started later or missed events still catches up. All work
/// happens on one loop; event handlers only wake it.
/// </summary>
public sealed partial class PluginSynchronizer(
    PluginStore store,
    IPluginRuntime runtime,
    IEventBus bus,
    LiveConfig config,
    NodeInfo node,
    ClusterDiscovery discovery,
    ILogger<PluginSynchronizer> logger) : BackgroundService
{
    public static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(30);

    /// <summary>How often the runtime's view is compared with what was last reported (an in-memory check).</summary>
    private static readonly TimeSpan StatusPoll = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ActivationTimeout = TimeSpan.FromMinutes(2);

    /// <summary>In each local plugin folder: the SHA-256 of the bundle it was unpacked from (its presence marks the folder ours and whole).</summary>
    private const string MarkerFile = ".chat-bundle-sha256";

    /// <summary>Staging and set-aside folders; '~' is never part of a plugin id.</summary>
    private const string TemporaryPrefix = "~";

    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, LocalCopy> copies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> installErrors = new(StringComparer.Ordinal);
    private readonly string directory = Path.GetFullPath(config.Current.PluginSettings.Directory);
    private IReadOnlyList<InstalledPlugin> installed = [];
    private IReadOnlyList<PluginNodeStatus> reported = [];
    private IDisposable? subscription;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        subscription = bus.Subscribe(PluginEvents.Topic, (_, _) =>
        {
            Wake();
            return Task.CompletedTask;
        });
        config.Changed += OnConfigChanged;
        // The runtime runs plugins from this folder: moving it under running plugins is a restart's job.
        config.AddRestartCheck(next => Path.GetFullPath(next.PluginSettings.Directory) == directory ? [] : ["PluginSettings.Directory"]);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        subscription?.Dispose();
        config.Changed -= OnConfigChanged;
        await base.StopAsync(cancellationToken);
        foreach (var copy in copies.Values.Where(c => c.Active))
        {
            await DeactivateAsync(copy, cancellationToken);
        }
        try
        {
            await store.ReplaceStatusesAsync(node.NodeId, [], cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Rows of a node that left are dropped by the others, and never shown meanwhile (it is not live).
            LogReportFailed(logger, e);
        }
    }

    /// <summary>Asks for a comparison with the table now.</summary>
    public void Wake() => wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            ReadLocalFolder();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Whatever could not be read is unpacked again.
            LogSynchronizeFailed(logger, e);
        }
        var nextResync = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (clock.Elapsed >= nextResync)
            {
                try
                {
                    await SynchronizeAsync(stoppingToken);
                    nextResync = clock.Elapsed + ResyncInterval;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogSynchronizeFailed(logger, e);
                    nextResync = clock.Elapsed + TimeSpan.FromSeconds(2);
                }
            }
            var statuses = Statuses();
            if (!statuses.SequenceEqual(reported) || clock.Elapsed >= nextReport)
            {
                try
                {
                    await store.ReplaceStatusesAsync(node.NodeId, statuses, stoppingToken);
                    reported = statuses;
                    nextReport = clock.Elapsed + ResyncInterval;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogReportFailed(logger, e);
                }
            }
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            tick.CancelAfter(StatusPoll);
            try
            {
                if (await wake.Reader.WaitToReadAsync(tick.Token))
                {
                    wake.Reader.TryRead(out _);
                    nextResync = TimeSpan.Zero;
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The poll interval passed without a wake-up.
            }
        }
    }

    private void OnConfigChanged(ConfigChange change)
    {
        if (change.Applied.Any(s => s.StartsWith("PluginSettings.", StringComparison.Ordinal) || s.StartsWith("FileSettings.", StringComparison.Ordinal)))
        {
            Wake();
        }
    }

    /// <summary>One comparison of this node with the table, plugin by plugin (one plugin's failure is its own status).</summary>
    private async Task SynchronizeAsync(CancellationToken cancellationToken)
    {
        var rows = await store.ListAsync(cancellationToken);
        installed = rows;
        var wanted = rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var copy in copies.Values.Where(c => !wanted.ContainsKey(c.Id)).ToList())
        {
            await DeactivateAsync(copy, cancellationToken);
            DeleteFolder(copy.Directory);
            copies.Remove(copy.Id);
            LogRemoved(logger, copy.Id);
        }
        foreach (var id in installErrors.Keys.Where(id => !wanted.ContainsKey(id)).ToList())
        {
            installErrors.Remove(id);
        }
        var pluginsOn = config.Current.PluginSettings.Enable;
        foreach (var row in rows)
        {
            try
            {
                if (!copies.TryGetValue(row.Id, out var copy) || copy.BundleHash != row.BundleHash)
                {
                    if (copy is not null)
                    {
                        await DeactivateAsync(copy, cancellationToken);
                    }
                    copy = await UnpackAsync(row, cancellationToken);
                    copies[row.Id] = copy;
                    LogUnpacked(logger, row.Id, row.Manifest.Version, copy.Directory);
                }
                if (pluginsOn && row.Enabled && !copy.Active)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(ActivationTimeout);
                    copy.Active = true;
                    try
                    {
                        await runtime.ActivateAsync(ToRuntimeManifest(row.Manifest), copy.Directory, timeout.Token);
                    }
                    catch
                    {
                        // Tried again at the next comparison.
                        copy.Active = false;
                        throw;
                    }
                    LogActivated(logger, row.Id);
                }
                else if (!(pluginsOn && row.Enabled) && copy.Active)
                {
                    await DeactivateAsync(copy, cancellationToken);
                }
                installErrors.Remove(row.Id);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                installErrors[row.Id] = e is BundleException or IOException or UnauthorizedAccessException or InvalidDataException
                    ? e.Message
                    : $"The plugin could not be installed on this node ({e.GetType().Name}).";
                LogPluginFailed(logger, row.Id, e);
            }
        }
        // Rows of nodes that left the cluster (their cluster_discovery rows are gone) go too.
        var known = (await discovery.ListAsync(cancellationToken)).Select(n => n.Id).ToList();
        await store.DeleteStatusesExceptAsync(known, cancellationToken);
    }

    /// <summary>
    /// Copies the bundle from shared storage, checks it is the one the table names, unpacks it into a staging
    /// folder (validating it again: the shared storage is not trusted more than an upload) and swaps that in.
    /// </summary>
    private async Task<LocalCopy> UnpackAsync(InstalledPlugin plugin, CancellationToken cancellationToken)
    {
        var storage = new BundleStorage(config.Current.FileSettings.Directory);
        var source = storage.PathOf(plugin.Id);
        Directory.CreateDirectory(directory);
        var staging = Path.Combine(directory, $"{TemporaryPrefix}{plugin.Id}.{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            var bundle = Path.Combine(staging, "bundle.tar.gz");
            try
            {
                File.Copy(source, bundle);
            }
            catch (FileNotFoundException)
            {
                throw new IOException($"The bundle of plugin {plugin.Id} is missing from the shared file storage ({source}).");
            }
            var hash = await BundleStorage.HashAsync(bundle, cancellationToken);
            if (hash != plugin.BundleHash)
            {
                // A newer install replaced the file and its event is on the way; the next comparison picks it up.
                throw new IOException($"The bundle of plugin {plugin.Id} in the shared file storage is not the installed one (SHA-256 {hash}, expected {plugin.BundleHash}).");
            }
            var unpacked = Path.Combine(staging, "unpacked");
            var contents = await BundleReader.ExtractAsync(bundle, unpacked, new BundleLimits(config.Current.PluginSettings.MaxUnpackedBundleBytes), cancellationToken);
            if (contents.Manifest.Id != plugin.Id)
            {
                throw new IOException($"The bundle stored for plugin {plugin.Id} holds plugin {contents.Manifest.Id}.");
            }
            var root = contents.Root.Length == 0 ? unpacked : Path.Combine(unpacked, contents.Root);
            var marker = Path.Combine(root, MarkerFile);
            File.Delete(marker);
            await File.WriteAllTextAsync(marker, plugin.BundleHash, cancellationToken);

            var target = Path.Combine(directory, plugin.Id);
            if (Directory.Exists(target))
            {
                Directory.Move(target, Path.Combine(staging, "previous"));
            }
            Directory.Move(root, target);
            return new LocalCopy(plugin.Id, plugin.BundleHash, target);
        }
        finally
        {
            DeleteFolder(staging);
        }
    }

    /// <summary>At start-up: the folders this node unpacked before (they need no unpacking again if unchanged); leftovers of a crash go.</summary>
    private void ReadLocalFolder()
    {
        new BundleStorage(config.Current.FileSettings.Directory).SweepLeftovers(TimeSpan.FromHours(1));
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (var folder in Directory.EnumerateDirectories(directory))
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
            {
                DeleteFolder(folder);
            }
            else if (BundleManifest.IsValidId(name) && File.Exists(Path.Combine(folder, MarkerFile)))
            {
                copies[name] = new LocalCopy(name, File.ReadAllText(Path.Combine(folder, MarkerFile)).Trim(), folder);
            }
        }
    }

    /// <summary>This node's view of every installed plugin, as it reports it.</summary>
    private List<PluginNodeStatus> Statuses()
    {
        var running = runtime.Statuses().ToDictionary(s => s.PluginId, StringComparer.Ordinal);
        var pluginsOn = config.Current.PluginSettings.Enable;
        var statuses = new List<PluginNodeStatus>(installed.Count);
        foreach (var plugin in installed)
        {
            var (state, error) = installErrors.TryGetValue(plugin.Id, out var failure) ? (PluginState.FailedToStart, failure)
                : !pluginsOn ? (PluginState.NotRunning, "Plugins are disabled on this node (PluginSettings.Enable is false).")
                : !plugin.Enabled ? (PluginState.NotRunning, "")
                : copies.TryGetValue(plugin.Id, out var copy) && copy.Active && running.TryGetValue(plugin.Id, out var status) ? (status.State, status.Error ?? "")
                : (PluginState.NotRunning, "");
            var manifest = plugin.Manifest;
            statuses.Add(new PluginNodeStatus(node.NodeId, plugin.Id, Path.Combine(directory, plugin.Id), (int)state, error,
                manifest.Name, manifest.Description, manifest.Version));
        }
        return statuses;
    }

    private async Task DeactivateAsync(LocalCopy copy, CancellationToken cancellationToken)
    {
        if (!copy.Active)
        {
            return;
        }
        copy.Active = false;
        await runtime.DeactivateAsync(copy.Id, cancellationToken);
        LogDeactivated(logger, copy.Id);
    }

    private static PluginManifest ToRuntimeManifest(BundleManifest manifest) =>
        JsonSerializer.Deserialize<PluginManifest>(manifest.ToJson(), PluginManifest.JsonOptions)!;

    private void DeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDeleteFailed(logger, path, e);
        }
    }

    /// <summary>A plugin unpacked in this node's folder; <see cref="Active"/> once the runtime was asked to run it.</summary>
    private sealed class LocalCopy(string id, string bundleHash, string directory)
    {
        public string Id { get; } = id;
        public string BundleHash { get; } = bundleHash;
        public string Directory { get; } = directory;
        public bool Active { get; set; }
    }

    [LoggerMessage(LogLevel.Information, "Plugin {PluginId} {Version} unpacked into {Directory}")]
    private static partial void LogUnpacked(ILogger logger, string pluginId, string version, string directory);

    [LoggerMessage(LogLevel.Information, "Plugin {PluginId} activated")]
    private static partial void LogActivated(ILogger logger, string pluginId);

    [LoggerMessage(LogLevel.Information, "Plugin {PluginId} deactivated")]
    private static partial void LogDeactivated(ILogger logger, string pluginId);

    [LoggerMessage(LogLevel.Information, "Plugin {PluginId} removed from this node")]
    private static partial void LogRemoved(ILogger logger, string pluginId);

    [LoggerMessage(LogLevel.Error, "Plugin {PluginId} could not be brought in line on this node")]
    private static partial void LogPluginFailed(ILogger logger, string pluginId, Exception e);

    [LoggerMessage(LogLevel.Warning, "Comparing this node's plugins with the plugins table failed; retrying")]
    private static partial void LogSynchronizeFailed(ILogger logger, Exception e);

    [LoggerMessage(LogLevel.Warning, "Reporting this node's plugin statuses failed")]
    private static partial void LogReportFailed(ILogger logger, Exception e);

    [LoggerMessage(LogLevel.Warning, "Could not delete {Path}")]
    private static partial void LogDeleteFailed(ILogger logger, string path, Exception e);
}
