using System.Diagnostics;
using System.Text;

namespace Chat.Testing;

/// <summary>
/// One of our services as a real child process (`dotnet services/&lt;svc&gt;/bin/&lt;Configuration&gt;/net10.0/Chat.&lt;Svc&gt;.dll`),
/// configured through environment variables only, listening on its own loopback port. Its output is kept for
/// failure messages. It can be stopped gracefully, killed, and started again on the same port.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly string _assembly;
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;
    private Watchdog? _watchdog;

    /// <param name="service">The folder under services/, e.g. "api".</param>
    /// <param name="name">The node name, reported as its hostname (ClusterSettings.OverrideHostname), e.g. "api-1".</param>
    /// <param name="environment">MM_* settings and anything else; listen address and hostname are filled in unless given.</param>
    public ServiceProcess(string service, string name, IReadOnlyDictionary<string, string>? environment = null)
    {
        _assembly = Repository.ServiceAssembly(service);
        Service = service;
        Name = name;
        _environment = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        Port = FreePort.Next();
    }

    /// <summary>The folder under services/ it runs from, e.g. "api".</summary>
    public string Service { get; }

    public string Name { get; }

    public int Port { get; private set; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running process's id, for drills driven from outside the test (a browser test's SIGKILL).</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Exit code of the last run, once it has ended.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Everything the process wrote to stdout and stderr, over all its runs.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Launches the process without waiting for it to become ready.</summary>
    public void Launch()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }
        _process?.Dispose();
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_assembly)!,
        };
        start.ArgumentList.Add(_assembly);
        // Settings of the shell that runs the tests must not leak into the nodes under test.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MM_", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["MM_SERVICESETTINGS_LISTENADDRESS"] = $"127.0.0.1:{Port}";
        start.Environment["MM_CLUSTERSETTINGS_OVERRIDEHOSTNAME"] = Name;
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        Append($"--- {Name}: starting {Path.GetFileName(_assembly)} on {BaseUrl}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _watchdog?.Dispose();
        _watchdog = Watchdog.Start($"kill -9 {process.Id}");
    }

    /// <summary>Launches the process and waits until GET /readyz answers 200.</summary>
    public async Task StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            Launch();
            try
            {
                await WaitReadyAsync(ReadyTimeout);
                return;
            }
            catch (ServiceFailedException) when (attempt < 3 && Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // Someone took the port between choosing and binding it.
                Port = FreePort.Next();
            }
        }
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process is not { } process || process.HasExited)
            {
                throw new ServiceFailedException($"{Name} exited with {ExitCode} before it became ready.\n{Output}");
            }
            try
            {
                using var response = await Probe.GetAsync($"{BaseUrl}/readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (deadline.Elapsed > timeout)
            {
                throw new ServiceFailedException($"{Name} did not become ready within {timeout}.\n{Output}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the process to end on its own (e.g. after a configuration error) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started.");
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new ServiceFailedException($"{Name} was still running after {timeout}.\n{Output}");
        }
        return process.ExitCode;
    }

    /// <summary>Graceful stop: SIGTERM, as an orchestrator sends; SIGKILL if it has not ended within the timeout.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (_process is not { HasExited: false } process)
        {
            return ExitCode ?? 0;
        }
        await Command.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10), check: false);
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await process.WaitForExitAsync();
        }
        ReleaseWatchdog();
        return process.ExitCode;
    }

    /// <summary>
    /// SIGKILL, for failure drills: no shutdown code runs. Returns once the process is gone, so that
    /// <see cref="IsRunning"/> is false and the port is free for a restart.
    /// </summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        ReleaseWatchdog();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            Kill();
            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
        ReleaseWatchdog();
    }

    /// <summary>Once the process is gone its id may be reused, so the watchdog must not kill it later.</summary>
    private void ReleaseWatchdog()
    {
        _watchdog?.Dispose();
        _watchdog = null;
    }

    public override string ToString() => $"{Name} ({BaseUrl})";

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>The dotnet host running this test run, so services use the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}

/// <summary>A service process ended or stalled where the test needed it running; the message carries its output.</summary>
public sealed class ServiceFailedException(string message) : Exception(message);
