using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Plugins.Hosting;

/// <summary>
/// This node's plugins, each in a child process of its own (<see cref="PluginSupervisor"/>). Activations and
/// deactivations of one plugin id are serialised; different plugins start in parallel. When the node stops, every
/// plugin gets its OnDeactivate; when the node dies, the plugins see their input end and exit.
/// </summary>
/// <remarks>
/// The API dispatcher is resolved at the first activation, not injected: the server API it calls depends on
/// services (posting) that call the plugins' hooks through this runtime.
/// </remarks>
public sealed class PluginRuntime(IServiceProvider services, PluginHostOptions options, ILoggerFactory loggers) : IPluginRuntime, IHostedService
{
    private readonly ConcurrentDictionary<string, PluginSupervisor> plugins = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);
    private readonly ILogger logger = loggers.CreateLogger("Chat.Plugins");

    public PluginHostOptions Options => options;

    public async Task ActivateAsync(PluginManifest manifest, string directory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifest.Id);
        var gate = gates.GetOrAdd(manifest.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (plugins.TryRemove(manifest.Id, out var previous))
            {
                await previous.StopAsync();
            }
            var supervisor = new PluginSupervisor(manifest, directory, services.GetRequiredService<PluginApiDispatcher>(), options, logger);
            plugins[manifest.Id] = supervisor;
            await supervisor.StartAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task DeactivateAsync(string pluginId, CancellationToken cancellationToken)
    {
        var gate = gates.GetOrAdd(pluginId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (plugins.TryRemove(pluginId, out var supervisor))
            {
                await supervisor.StopAsync();
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Every plugin this node was asked to run (deactivated ones are not listed), by id.</summary>
    public IReadOnlyList<PluginRuntimeStatus> Statuses() =>
        [.. plugins.Values.Select(p => p.Status).OrderBy(s => s.PluginId, StringComparer.Ordinal)];

    /// <summary>The running plugins that implement <paramref name="hook"/>, in id order (the order hooks run in).</summary>
    internal IReadOnlyList<PluginProcess> Implementing(string hook) =>
        [.. plugins.Values.Select(p => p.Running).OfType<PluginProcess>().Where(p => p.Hooks.Contains(hook)).OrderBy(p => p.PluginId, StringComparer.Ordinal)];

    internal PluginProcess? Running(string pluginId) => plugins.TryGetValue(pluginId, out var plugin) ? plugin.Running : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(plugins.Keys.ToList().Select(id => DeactivateAsync(id, CancellationToken.None)));
}
