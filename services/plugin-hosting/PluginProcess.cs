using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Chat.Plugins.Sdk;
using Chat.Plugins.Sdk.Protocol;
using Microsoft.Extensions.Logging;

namespace Chat.Plugins.Hosting;

/// <summary>
/// One run of a plugin: the child process <c>dotnet &lt;executable&gt;</c> in the bundle's directory, the protocol
/// over its stdin/stdout, and its stderr turned into log entries. The child inherits neither the node's
/// configuration variables (MM_*, with the database's password) nor its Dapr tokens. It ends when its stdin closes,
/// which happens when this node deactivates it or dies, however it dies — so no plugin outlives its node.
/// </summary>
internal sealed partial class PluginProcess
{
    private const int MaxLogLineBytes = 16 * 1024;
    private const int RememberedLogLines = 5;

    private readonly Process process;
    private readonly ILogger logger;
    private readonly Queue<string> lastLines = new();
    private readonly SemaphoreSlim suspect = new(0, 1);

    private PluginProcess(string pluginId, Process process, ILogger logger)
    {
        PluginId = pluginId;
        this.process = process;
        this.logger = logger;
    }

    public string PluginId { get; }

    public RpcConnection Connection { get; private set; } = null!;

    /// <summary>The hooks the plugin implements, as it reported them when activated.</summary>
    public IReadOnlySet<string> Hooks { get; private set; } = new HashSet<string>();

    /// <summary>Starts the process; the caller activates it next.</summary>
    /// <exception cref="PluginStartException">The executable is missing or not a .NET assembly, or the process did not start.</exception>
    public static PluginProcess Start(PluginManifest manifest, string directory, PluginApiDispatcher api, PluginHostOptions options, ILogger logger)
    {
        var root = Path.GetFullPath(directory);
        var relative = manifest.Server?.Executable ?? "";
        var executable = Path.GetFullPath(Path.Combine(root, relative));
        if (relative.Length == 0 || !executable.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new PluginStartException($"server.executable '{relative}' must be a path inside the bundle.");
        }
        if (!executable.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || !File.Exists(executable))
        {
            throw new PluginStartException($"server.executable '{relative}' must name a .NET assembly (.dll) in the bundle.");
        }
        var start = new ProcessStartInfo(options.DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(executable);
        foreach (var key in start.Environment.Keys.Where(IsNodeSecret).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["CHAT_PLUGIN_ID"] = manifest.Id;
        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new PluginStartException($"The plugin process did not start: {e.Message}");
        }
        var plugin = new PluginProcess(manifest.Id, process, logger);
        plugin.Connection = new RpcConnection(
            process.StandardOutput.BaseStream,
            process.StandardInput.BaseStream,
            (method, parameters, cancellationToken) => api.HandleAsync(manifest.Id, method, parameters, cancellationToken));
        plugin.Connection.Start();
        new Thread(plugin.ReadLog) { IsBackground = true, Name = $"plugin-log-{manifest.Id}" }.Start();
        return plugin;
    }

    /// <summary>Calls OnActivate and learns the plugin's hooks.</summary>
    public async Task ActivateAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await CallAsync(Methods.OnActivate, new ActivateParams(PluginId), timeout, cancellationToken);
        Hooks = RpcJson.Read<ActivateResult>(result).Hooks.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A call with a deadline; a timeout raises <see cref="TimeoutException"/> and marks the plugin suspect (it gets pinged at once).</summary>
    public async Task<JsonElement> CallAsync(string method, object parameters, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await Connection.CallAsync(method, parameters, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            MarkSuspect();
            throw new TimeoutException($"{method} did not return within {timeout.TotalMilliseconds:0} ms.");
        }
    }

    /// <summary>Asks the supervisor to check at once whether the plugin still answers.</summary>
    public void MarkSuspect()
    {
        try
        {
            suspect.Release();
        }
        catch (SemaphoreFullException)
        {
            // A check is already due.
        }
    }

    /// <summary>
    /// Waits until the plugin fails — its output ends (it exited or crashed), or it does not answer a ping (hung) —
    /// and says how. Pings every <see cref="PluginHostOptions.HealthCheckInterval"/> (when enabled) and whenever a
    /// call timed out.
    /// </summary>
    public async Task<string> WaitForFailureAsync(PluginHostOptions options, CancellationToken cancellationToken)
    {
        while (true)
        {
            var check = options.EnableHealthCheck ? suspect.WaitAsync(options.HealthCheckInterval, cancellationToken) : suspect.WaitAsync(cancellationToken);
            if (await Task.WhenAny(Connection.Closed, check) == Connection.Closed)
            {
                return await DescribeExitAsync();
            }
            await check;
            try
            {
                await CallAsync(Methods.Ping, new { }, options.PingTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                return $"The plugin did not answer a health check within {options.PingTimeout.TotalSeconds:0.#} s (hung).";
            }
            catch (PluginApiException)
            {
                return await DescribeExitAsync();
            }
        }
    }

    /// <summary>OnDeactivate (bounded), then the end of its input, then its exit (bounded); killed if it lingers.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (!process.HasExited)
        {
            try
            {
                await CallAsync(Methods.OnDeactivate, new { }, timeout, CancellationToken.None);
            }
            catch (Exception e) when (e is TimeoutException or PluginApiException)
            {
                LogDeactivateFailed(logger, PluginId, e.Message);
            }
            try
            {
                await Connection.CloseOutputAsync().WaitAsync(timeout);
                await process.WaitForExitAsync().WaitAsync(timeout);
            }
            catch (Exception e) when (e is TimeoutException or IOException or ObjectDisposedException)
            {
                // Killed below.
            }
        }
        Kill();
    }

    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private async Task<string> DescribeExitAsync()
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            Kill();
            return $"The plugin closed its output but did not exit.{LastLines()}";
        }
        return $"The plugin process exited with code {process.ExitCode}.{LastLines()}";
    }

    private string LastLines()
    {
        lock (lastLines)
        {
            return lastLines.Count == 0 ? "" : " Last output: " + string.Join(" | ", lastLines);
        }
    }

    private void ReadLog()
    {
        var reader = new LineReader(process.StandardError.BaseStream, MaxLogLineBytes);
        try
        {
            while (reader.ReadLine(out var truncated) is { } bytes)
            {
                var line = Encoding.UTF8.GetString(bytes.Span) + (truncated ? " …" : "");
                if (line.Length > 0)
                {
                    Log(line);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process is gone.
        }
    }

    private void Log(string line)
    {
        var (level, message, fields) = ParseLogLine(line);
        // Stack frames would push the exception's own line out of what a crash report quotes.
        if (!line.TrimStart().StartsWith("at ", StringComparison.Ordinal))
        {
            lock (lastLines)
            {
                lastLines.Enqueue(message.Length > 300 ? message[..300] + " …" : message);
                while (lastLines.Count > RememberedLogLines)
                {
                    lastLines.Dequeue();
                }
            }
        }
        using (logger.BeginScope(new LogScope([new("plugin_id", PluginId), .. fields.Select(f => new KeyValuePair<string, object?>(f.Key, f.Value))])))
        {
            LogPluginOutput(logger, level, message);
        }
    }

    /// <summary>The SDK's JSON log lines keep their level and fields; anything else is plain output at Information.</summary>
    internal static (LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Fields) ParseLogLine(string line)
    {
        if (line.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.TryGetProperty("level", out var level) && root.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String)
                {
                    var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
                    if (root.TryGetProperty("fields", out var f) && f.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var field in f.EnumerateObject())
                        {
                            fields[field.Name] = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString() : field.Value.GetRawText();
                        }
                    }
                    var parsed = level.GetString() switch
                    {
                        "debug" => LogLevel.Debug,
                        "warn" => LogLevel.Warning,
                        "error" => LogLevel.Error,
                        _ => LogLevel.Information,
                    };
                    return (parsed, msg.GetString()!, fields);
                }
            }
            catch (JsonException)
            {
                // Plain output that happens to start with a brace.
            }
        }
        return (LogLevel.Information, line, new Dictionary<string, string?>());
    }

    private static bool IsNodeSecret(string name) =>
        name.StartsWith("MM_", StringComparison.Ordinal) || name.StartsWith("DAPR_", StringComparison.Ordinal) || name == "APP_API_TOKEN";

    [LoggerMessage("{PluginMessage}")]
    private static partial void LogPluginOutput(ILogger logger, LogLevel level, string pluginMessage);

    [LoggerMessage(LogLevel.Warning, "Plugin {PluginId}: OnDeactivate failed: {Error}")]
    private static partial void LogDeactivateFailed(ILogger logger, string pluginId, string error);
}

/// <summary>The plugin's id and its log fields, as structured scope values (and "plugin_id:…" as text).</summary>
internal sealed class LogScope(List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public KeyValuePair<string, object?> this[int index] => values[index];

    public int Count => values.Count;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join(", ", values.Select(v => $"{v.Key}:{v.Value}"));
}

/// <summary>A plugin could not be started at all (nothing to run, or the process did not start).</summary>
internal sealed class PluginStartException(string message) : Exception(message);
