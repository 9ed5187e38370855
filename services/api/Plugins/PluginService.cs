using System.Text.Json.Nodes;
using Chat.Api.Events;
using Chat.BuildingBlocks.PubSub;
using Chat.ClusterMembership;
using Chat.Configuration;
using Chat.Plugins.Bundles;
using Chat.ServiceDefaults;

namespace Chat.Api.Plugins;

/// <summary>Mattermost's PluginsResponse: installed plugins' manifests, by whether they are enabled.</summary>
public sealed record PluginsResponse(IReadOnlyList<JsonObject> Active, IReadOnlyList<JsonObject> Inactive);

/// <summary>Mattermost's PluginStatus: one plugin on one api node (cluster_id is the node's id).</summary>
public sealed record PluginStatusResponse(string PluginId, string ClusterId, string PluginPath, int State, string Error, string Name, string Description, string Version);

/// <summary>
/// Installing, enabling, disabling and removing plugins cluster-wide. A change is a row of the plugins table (and,
/// for installs and removals, the bundle in shared file storage) plus a cluster event recorded in the same
/// transaction; every api node's <see cref="PluginSynchronizer"/> then brings its local copies in line. Changes
/// are serialized cluster-wide, so a bundle file and its row always change together.
/// </summary>
public sealed class PluginService(PluginStore store, Outbox outbox, LiveConfig config, NodeInfo node, ClusterDiscovery discovery)
{
    public BundleStorage Storage => new(config.Current.FileSettings.Directory);

    public BundleLimits Limits => new(config.Current.PluginSettings.MaxUnpackedBundleBytes);

    /// <summary>
    /// Validates the received bundle fully, then stores it and records the plugin, disabled (a reinstall with
    /// <paramref name="force"/> replaces the bundle and leaves the plugin disabled). A bad bundle changes nothing.
    /// </summary>
    /// <param name="received">The upload as <see cref="BundleStorage.ReceiveAsync"/> left it; moved into place or deleted.</param>
    public async Task<JsonObject> InstallAsync(string received, bool force, CancellationToken cancellationToken)
    {
        var storage = Storage;
        BundleStorage.BundleSwap? swap = null;
        try
        {
            var contents = await InspectAsync(received, cancellationToken);
            var manifest = contents.Manifest;
            if (!manifest.IsSatisfiedBy(node.Version))
            {
                throw AppErrorException.BadRequest("app.plugin.server_version.app_error",
                    $"Plugin {manifest.Id} requires server version {manifest.MinServerVersion} or later; this server is {node.Version}.");
            }
            var hash = await BundleStorage.HashAsync(received, cancellationToken);
            var size = new FileInfo(received).Length;
            await outbox.WriteAsync(async transaction =>
            {
                await PluginStore.LockChangesAsync(transaction);
                if (await PluginStore.GetAsync(transaction, manifest.Id) is not null && !force)
                {
                    throw AppErrorException.BadRequest("app.plugin.install_id.app_error",
                        $"Unable to install plugin {manifest.Id}: a plugin with the same id is already installed (upload again with force=true to replace it).");
                }
                swap = storage.Store(received, manifest.Id);
                return await PluginStore.SaveAsync(transaction, manifest, hash, size);
            }, plugin => [PluginEvents.Changed(plugin.Id, "installed")]);
            swap?.Commit();
            return manifest.Json;
        }
        catch
        {
            swap?.Rollback();
            throw;
        }
        finally
        {
            File.Delete(received);
        }
    }

    public Task EnableAsync(string pluginId) => SetEnabledAsync(pluginId, true);

    public Task DisableAsync(string pluginId) => SetEnabledAsync(pluginId, false);

    /// <summary>Removes the plugin's row and bundle; every node stops it and deletes its local copy.</summary>
    public async Task RemoveAsync(string pluginId)
    {
        var storage = Storage;
        BundleStorage.BundleSwap? swap = null;
        try
        {
            var removed = await outbox.WriteAsync(async transaction =>
            {
                await PluginStore.LockChangesAsync(transaction);
                if (!await PluginStore.DeleteAsync(transaction, pluginId))
                {
                    return false;
                }
                swap = storage.Remove(pluginId);
                return true;
            }, removed => removed ? [PluginEvents.Changed(pluginId, "removed")] : []);
            if (!removed)
            {
                throw NotInstalled(pluginId);
            }
            swap?.Commit();
        }
        catch
        {
            swap?.Rollback();
            throw;
        }
    }

    public async Task<PluginsResponse> ListAsync(CancellationToken cancellationToken)
    {
        var plugins = await store.ListAsync(cancellationToken);
        return new PluginsResponse(
            [.. plugins.Where(p => p.Enabled).Select(p => p.Manifest.Json)],
            [.. plugins.Where(p => !p.Enabled).Select(p => p.Manifest.Json)]);
    }

    /// <summary>What every live api node reports about each plugin, whichever node answers.</summary>
    public async Task<IReadOnlyList<PluginStatusResponse>> StatusesAsync(CancellationToken cancellationToken)
    {
        var live = (await discovery.ListAsync(cancellationToken)).Where(n => n.Alive && n.Service == node.Service).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var statuses = await store.ListStatusesAsync(cancellationToken);
        return [.. statuses.Where(s => live.Contains(s.NodeId)).Select(s => new PluginStatusResponse(
            s.PluginId, s.NodeId, s.PluginPath, s.State, s.Error, s.Name, s.Description, s.Version))];
    }

    /// <summary>PluginSettings.Enable is this node's switch for all plugin endpoints, as in Mattermost.</summary>
    public void DemandPluginsEnabled()
    {
        if (!config.Current.PluginSettings.Enable)
        {
            // Mattermost answers 501; a 5xx here would say the server is broken, which it is not.
            throw new AppErrorException(403, "app.plugin.disabled.app_error", "Plugins have been disabled (PluginSettings.Enable is false).");
        }
    }

    public void DemandUploadsEnabled()
    {
        DemandPluginsEnabled();
        if (!config.Current.PluginSettings.EnableUploads)
        {
            throw new AppErrorException(403, "app.plugin.upload_disabled.app_error", "Plugin uploads have been disabled (PluginSettings.EnableUploads is false).");
        }
    }

    public static AppErrorException NotInstalled(string pluginId) =>
        new(404, "app.plugin.not_installed.app_error", $"Plugin {pluginId} is not installed.");

    private async Task SetEnabledAsync(string pluginId, bool enabled)
    {
        var found = await outbox.WriteAsync(async transaction =>
        {
            await PluginStore.LockChangesAsync(transaction);
            return await PluginStore.SetEnabledAsync(transaction, pluginId, enabled);
        }, found => found ? [PluginEvents.Changed(pluginId, enabled ? "enabled" : "disabled")] : []);
        if (!found)
        {
            throw NotInstalled(pluginId);
        }
    }

    private async Task<BundleContents> InspectAsync(string received, CancellationToken cancellationToken)
    {
        try
        {
            return await BundleReader.InspectAsync(received, Limits, cancellationToken);
        }
        catch (BundleException e)
        {
            throw new AppErrorException(e.StatusCode, e.ErrorId, e.Message);
        }
    }
}

/// <summary>The cluster event of a plugin change; nodes take it as a cue to compare their copies with the table.</summary>
public static class PluginEvents
{
    public const string Topic = "plugins";

    public static ClusterEvent Changed(string pluginId, string change) =>
        ClusterEvent.Create(Topic, "plugins_changed", new { plugin_id = pluginId, change });
}
