using Chat.Plugins.Sdk;
using Microsoft.Extensions.Logging;

namespace Chat.Plugins.Hosting;

/// <summary>
/// Keeps one plugin running on this node: starts and activates its process, watches it (exit, failed health
/// checks), restarts it after a crash with a doubling delay, and gives up after
/// <see cref="PluginHostOptions.MaxCrashes"/> crashes within <see cref="PluginHostOptions.CrashWindow"/>
/// (FailedToStayRunning). A failure of the first activation is FailedToStart, with no retry: the bundle itself is
/// at fault until a new one is installed.
/// </summary>
internal sealed partial class PluginSupervisor(PluginManifest manifest, string directory, PluginApiDispatcher api, PluginHostOptions options, ILogger logger)
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource lifetime = new();
    private readonly List<DateTimeOffset> crashes = [];
    private PluginState state = PluginState.NotRunning;
    private string? error;
    private PluginProcess? current;
    private Task supervising = Task.CompletedTask;

    public PluginManifest Manifest => manifest;

    public PluginRuntimeStatus Status
    {
        get
        {
            lock (gate)
            {
                return new PluginRuntimeStatus(manifest.Id, state, error);
            }
        }
    }

    /// <summary>The process when the plugin is running; null while it starts, restarts or has failed.</summary>
    public PluginProcess? Running
    {
        get
        {
            lock (gate)
            {
                return state == PluginState.Running ? current : null;
            }
        }
    }

    /// <summary>Returns once the plugin runs or has failed to start.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (manifest.Server is null)
        {
            // Webapp-only: nothing runs on the server.
            Set(PluginState.Running, null, null);
            return;
        }
        Set(PluginState.Starting, null, null);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.Token);
        try
        {
            var process = await LaunchAsync(linked.Token);
            Set(PluginState.Running, null, process);
            supervising = Task.Run(() => SuperviseAsync(process));
            LogStarted(manifest.Id, manifest.Version);
        }
        catch (Exception e) when (e is PluginStartException or PluginApiException or TimeoutException)
        {
            Set(PluginState.FailedToStart, e.Message, null);
            LogFailedToStart(manifest.Id, e.Message);
        }
    }

    /// <summary>Stops the plugin: no more restarts, OnDeactivate, then the process ends.</summary>
    public async Task StopAsync()
    {
        lock (gate)
        {
            if (state != PluginState.NotRunning)
            {
                state = PluginState.Stopping;
            }
        }
        await lifetime.CancelAsync();
        await supervising;
        // Read after the supervisor ended: a restart may have finished just before it saw the cancellation.
        PluginProcess? process;
        lock (gate)
        {
            process = current;
        }
        if (process is not null)
        {
            await process.StopAsync(options.StopTimeout);
        }
        Set(PluginState.NotRunning, null, null);
    }

    private async Task<PluginProcess> LaunchAsync(CancellationToken cancellationToken)
    {
        var process = PluginProcess.Start(manifest, directory, api, options, logger);
        try
        {
            await process.ActivateAsync(options.ActivationTimeout, cancellationToken);
            return process;
        }
        catch (Exception e) when (e is PluginApiException or TimeoutException or OperationCanceledException)
        {
            process.Kill();
            if (e is PluginApiException { Id: "plugin.rpc.closed" })
            {
                // It died before answering: say how.
                throw new PluginStartException(await process.WaitForFailureAsync(options, CancellationToken.None));
            }
            throw;
        }
    }

    private async Task SuperviseAsync(PluginProcess process)
    {
        try
        {
            while (true)
            {
                var reason = await process.WaitForFailureAsync(options, lifetime.Token);
                process.Kill();
                LogCrashed(manifest.Id, reason);
                process = await RestartAsync(reason);
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (PluginGaveUpException)
        {
            // Left FailedToStayRunning.
        }
    }

    private async Task<PluginProcess> RestartAsync(string reason)
    {
        while (true)
        {
            TimeSpan delay;
            lock (gate)
            {
                var now = DateTimeOffset.UtcNow;
                crashes.Add(now);
                crashes.RemoveAll(c => now - c > options.CrashWindow);
                if (crashes.Count >= options.MaxCrashes)
                {
                    state = PluginState.FailedToStayRunning;
                    error = $"{reason} (crashed {crashes.Count} times within {options.CrashWindow.TotalMinutes:0} minutes; not restarted again)";
                    current = null;
                    LogGaveUp(manifest.Id, crashes.Count);
                    throw new PluginGaveUpException();
                }
                delay = TimeSpan.FromTicks(Math.Min(options.RestartDelay.Ticks << (crashes.Count - 1), options.MaxRestartDelay.Ticks));
                state = PluginState.Starting;
                error = $"{reason} (restarting in {delay.TotalSeconds:0.#} s)";
                current = null;
            }
            await Task.Delay(delay, lifetime.Token);
            try
            {
                var process = await LaunchAsync(lifetime.Token);
                // Running again; the error stays visible so an operator can tell it crashed.
                Set(PluginState.Running, $"Restarted after: {reason}", process);
                LogRestarted(manifest.Id);
                return process;
            }
            catch (Exception e) when (e is PluginStartException or PluginApiException or TimeoutException)
            {
                reason = e.Message;
            }
        }
    }

    private void Set(PluginState newState, string? newError, PluginProcess? process)
    {
        lock (gate)
        {
            state = newState;
            error = newError;
            current = process;
        }
    }

    private sealed class PluginGaveUpException : Exception;

    [LoggerMessage(LogLevel.Information, "Plugin {PluginId} {Version} is running")]
    private partial void LogStarted(string pluginId, string version);

    [LoggerMessage(LogLevel.Error, "Plugin {PluginId} failed to start: {Error}")]
    private partial void LogFailedToStart(string pluginId, string error);

    [LoggerMessage(LogLevel.Error, "Plugin {PluginId} crashed: {Error}")]
    private partial void LogCrashed(string pluginId, string error);

    [LoggerMessage(LogLevel.Information, "Plugin {PluginId} restarted")]
    private partial void LogRestarted(string pluginId);

    [LoggerMessage(LogLevel.Error, "Plugin {PluginId} crashed {Count} times; it stays stopped (FailedToStayRunning)")]
    private partial void LogGaveUp(string pluginId, int count);
}
