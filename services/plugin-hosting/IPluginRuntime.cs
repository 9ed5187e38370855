namespace Chat.Plugins.Hosting;

/// <summary>Mattermost's plugin states, with its numbers (the statuses API reports them as integers).</summary>
public enum PluginState
{
    NotRunning = 0,
    Starting = 1,
    Running = 2,
    FailedToStart = 3,
    FailedToStayRunning = 4,
    Stopping = 5,
}

public sealed record PluginRuntimeStatus(string PluginId, PluginState State, string? Error);

/// <summary>
/// Runs this node's copies of the active plugins. Bundle storage and cluster propagation live elsewhere; they call
/// this on every node with a local, unpacked copy of the bundle.
/// </summary>
public interface IPluginRuntime
{
    /// <summary>
    /// Starts the plugin unpacked in <paramref name="directory"/> (a local copy of its bundle), replacing a running
    /// copy of the same id. Returns once the plugin runs or has failed to start (its status then says why); a
    /// manifest without a server part counts as running at once.
    /// </summary>
    Task ActivateAsync(PluginManifest manifest, string directory, CancellationToken cancellationToken);

    /// <summary>Stops the plugin (its OnDeactivate hook, then its process); nothing happens for an unknown id.</summary>
    Task DeactivateAsync(string pluginId, CancellationToken cancellationToken);

    /// <summary>Every plugin this node was asked to run, with its current state.</summary>
    IReadOnlyList<PluginRuntimeStatus> Statuses();
}
