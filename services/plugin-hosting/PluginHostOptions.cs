using Chat.Configuration;

namespace Chat.Plugins.Hosting;

/// <summary>How this node runs plugin processes; the hook timeout and health check come from PluginSettings.</summary>
public sealed class PluginHostOptions
{
    /// <summary>The live plugin settings (a configuration reload swaps the section, so this is read on every use).</summary>
    public Func<PluginSettings> Settings { get; init; } = () => new PluginSettings();

    /// <summary>Longest wait for one hook call (PluginSettings.HookTimeoutMilliseconds); then the server goes on without it.</summary>
    public TimeSpan HookTimeout => TimeSpan.FromMilliseconds(Settings().HookTimeoutMilliseconds);

    /// <summary>Longest wait for a process to start and its OnActivate to return.</summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long OnDeactivate, and then the process's exit, may take before the process is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Every running plugin is pinged this often (PluginSettings.EnableHealthCheck); also right after a hook timed out.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    public bool EnableHealthCheck => Settings().EnableHealthCheck;

    /// <summary>A plugin that does not answer a ping within this is taken as hung: killed and restarted.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first restart's delay; it doubles with every crash up to <see cref="MaxRestartDelay"/>.</summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>This many crashes within <see cref="CrashWindow"/> and the plugin is left FailedToStayRunning.</summary>
    public int MaxCrashes { get; set; } = 3;

    public TimeSpan CrashWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The dotnet host that runs plugin assemblies: this node's own when it runs under dotnet.</summary>
    public string DotnetHost { get; set; } = DefaultDotnetHost();

    public static PluginHostOptions FromConfig(ChatConfig config) => new() { Settings = () => config.PluginSettings };

    private static string DefaultDotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }
}
