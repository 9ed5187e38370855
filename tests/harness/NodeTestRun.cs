using System.Diagnostics;

namespace Chat.Testing;

/// <summary>
/// Runs JavaScript test files of tests/js with Node's test runner (`node --test`) and collects their output: the
/// official Mattermost clients' suites and the browser test of the admin page.
/// </summary>
public sealed record NodeTestRun(int ExitCode, string Stdout, string Stderr)
{
    public static string JsDirectory { get; } = Path.Combine(Repository.Root, "tests", "js");

    private static readonly Lazy<Task<bool>> NeedsWebSocketFlag = new(async () => await EvalAsync("process.stdout.write(typeof WebSocket)") != "function");

    public bool Passed => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}\n{Stdout}\n{Stderr}";

    /// <param name="files">Paths relative to tests/js, e.g. "test/posts.test.js".</param>
    /// <param name="environment">Added to the runner's environment (URLs of the nodes under test and the like).</param>
    public static async Task<NodeTestRun> RunAsync(IEnumerable<string> files, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        if (!Directory.Exists(Path.Combine(JsDirectory, "node_modules")))
        {
            throw new InvalidOperationException("tests/js/node_modules is missing: run `npm ci` in tests/js (tests/run does).");
        }
        var start = new ProcessStartInfo("node") { WorkingDirectory = JsDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        // Node.js 20 has a global WebSocket only behind this flag (22 has it by default).
        if (await NeedsWebSocketFlag.Value)
        {
            start.ArgumentList.Add("--experimental-websocket");
        }
        start.ArgumentList.Add("--test");
        foreach (var file in files)
        {
            start.ArgumentList.Add(file);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await node.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
            throw new TimeoutException($"node --test {string.Join(' ', files)} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
        }
        return new NodeTestRun(node.ExitCode, await stdout, await stderr);
    }

    private static async Task<string> EvalAsync(string script)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(script);
        using var node = Process.Start(start)!;
        var text = await node.StandardOutput.ReadToEndAsync();
        await node.WaitForExitAsync();
        return text.Trim();
    }
}
