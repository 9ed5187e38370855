using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Chat.Testing;

/// <summary>
/// An S3-compatible server for tests of FileSettings.DriverName = "amazons3": the npm package s3rver (a dependency of
/// tests/js, so `npm ci` there installs it), storing its objects in a temporary folder. Its credentials are s3rver's
/// fixed S3RVER / S3RVER.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";

    private readonly string _folder = Directory.CreateTempSubdirectory("chat-s3-").FullName;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private S3Server(int port) => Port = port;

    public int Port { get; }

    /// <summary>FileSettings.AmazonS3Endpoint.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The MM_FILESETTINGS_* settings that put a node's files into <paramref name="bucket"/> on this server.</summary>
    public IReadOnlyDictionary<string, string> Settings(string bucket) => new Dictionary<string, string>
    {
        ["MM_FILESETTINGS_DRIVERNAME"] = "amazons3",
        ["MM_FILESETTINGS_AMAZONS3ENDPOINT"] = Endpoint,
        ["MM_FILESETTINGS_AMAZONS3SSL"] = "false",
        ["MM_FILESETTINGS_AMAZONS3BUCKET"] = bucket,
        ["MM_FILESETTINGS_AMAZONS3PATHPREFIX"] = "chat",
        ["MM_FILESETTINGS_AMAZONS3ACCESSKEYID"] = AccessKey,
        ["MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY"] = AccessKey,
    };

    /// <summary>The objects s3rver keeps on disk, for tests that look at what was stored.</summary>
    public string Folder => _folder;

    public static async Task<S3Server> StartAsync()
    {
        var script = Path.Combine(NodeTestRun.JsDirectory, "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException("s3rver is missing: run `npm ci` in tests/js (tests/run does).");
        }
        var server = new S3Server(FreePort.Next());
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[script, "--address", "127.0.0.1", "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--directory", server._folder, "--silent"])
        {
            start.ArgumentList.Add(argument);
        }
        server._process = Process.Start(start)!;
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"s3rver exited with {server._process.ExitCode}:\n{server.Output}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", server.Port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

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

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
