using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Chat.Testing;

/// <summary>
/// The nginx edge in front of test nodes, rendered from the same template the local cluster launcher uses
/// (deploy/nginx/nginx.conf.template), so tests exercise the production routing rules.
/// </summary>
public sealed class EdgeProxy : IAsyncDisposable
{
    private readonly string _prefix = Directory.CreateTempSubdirectory("chat-edge-").FullName;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private EdgeProxy(int port) => Port = port;

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>nginx's own log, for failure messages.</summary>
    public string Log => File.Exists(Path.Combine(_prefix, "error.log")) ? File.ReadAllText(Path.Combine(_prefix, "error.log")) : "";

    /// <summary>The access log so far (nginx writes each line when its request completes).</summary>
    public string AccessLog => File.Exists(Path.Combine(_prefix, "access.log")) ? File.ReadAllText(Path.Combine(_prefix, "access.log")) : "";

    public static bool IsAvailable => FindNginx() is not null;

    /// <param name="authenticationLimit">The edge's login and sign-up limit per address (nginx rate, burst); by default high, as every test client is 127.0.0.1.</param>
    public static async Task<EdgeProxy> StartAsync(IReadOnlyList<string> apiBaseUrls, IReadOnlyList<string> realtimeBaseUrls, (string Rate, int Burst)? authenticationLimit = null)
    {
        var nginx = FindNginx() ?? throw new InvalidOperationException("nginx is not installed (tests/run installs it).");
        var edge = new EdgeProxy(FreePort.Next());
        var config = edge.Render(apiBaseUrls, realtimeBaseUrls, authenticationLimit ?? ("100000r/m", 10000));
        var start = new ProcessStartInfo(nginx) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-p", edge._prefix, "-c", config, "-e", Path.Combine(edge._prefix, "error.log")])
        {
            start.ArgumentList.Add(argument);
        }
        edge._process = Process.Start(start)!;
        edge._process.OutputDataReceived += (_, e) => edge.Append(e.Data);
        edge._process.ErrorDataReceived += (_, e) => edge.Append(e.Data);
        edge._process.BeginOutputReadLine();
        edge._process.BeginErrorReadLine();
        await edge.WaitListeningAsync(TimeSpan.FromSeconds(15));
        return edge;
    }

    private string Render(IReadOnlyList<string> api, IReadOnlyList<string> realtime, (string Rate, int Burst) authenticationLimit)
    {
        var temp = Path.Combine(_prefix, "temp");
        Directory.CreateDirectory(temp);
        var template = File.ReadAllText(Path.Combine(Repository.Root, "deploy", "nginx", "nginx.conf.template"));
        var text = template
            .Replace("{{USER_DIRECTIVE}}", Environment.UserName == "root" ? "user root;" : "", StringComparison.Ordinal)
            .Replace("{{PID_FILE}}", Path.Combine(_prefix, "nginx.pid"), StringComparison.Ordinal)
            .Replace("{{ERROR_LOG}}", Path.Combine(_prefix, "error.log"), StringComparison.Ordinal)
            .Replace("{{ACCESS_LOG}}", Path.Combine(_prefix, "access.log"), StringComparison.Ordinal)
            .Replace("{{TEMP_DIR}}", temp, StringComparison.Ordinal)
            .Replace("{{LISTEN}}", $"127.0.0.1:{Port}", StringComparison.Ordinal)
            .Replace("{{API_SERVERS}}", Servers(api), StringComparison.Ordinal)
            .Replace("{{AUTH_RATE}}", authenticationLimit.Rate, StringComparison.Ordinal)
            .Replace("{{AUTH_BURST}}", authenticationLimit.Burst.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{AUTH_CONNECTIONS}}", "10000", StringComparison.Ordinal)
            // An upstream block may not be empty; a closed port stands in while a test has no realtime nodes.
            .Replace("{{REALTIME_SERVERS}}", Servers(realtime.Count > 0 ? realtime : ["http://127.0.0.1:9"]), StringComparison.Ordinal);
        var path = Path.Combine(_prefix, "nginx.conf");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The launcher's scheme: each node once with fast failure detection, then once as a never-failing backup.</summary>
    private static string Servers(IEnumerable<string> baseUrls)
    {
        var hosts = baseUrls.Select(u => new Uri(u).Authority).ToList();
        return string.Join('\n', hosts.Select(h => $"        server {h} max_fails=1 fail_timeout=5s;")
            .Concat(hosts.Select(h => $"        server {h} backup max_fails=0;")));
    }

    private async Task WaitListeningAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {_process.ExitCode}:\n{Text()}\n{Log}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"nginx did not listen on {Port} within {timeout}:\n{Text()}\n{Log}");
    }

    private static string? FindNginx() =>
        new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Text()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Directory.Delete(_prefix, recursive: true);
    }
}
