using System.Diagnostics;

namespace Chat.Testing;

/// <summary>
/// Servers and nodes must not outlive a test run that ends without disposing them (cancelled, crashed, or
/// the test host killed with its whole process tree): a detached shell waits for the test process to vanish
/// and then runs a cleanup command. Disposing the watchdog removes its marker file, which ends it quietly.
/// </summary>
internal sealed class Watchdog : IDisposable
{
    private readonly string _marker;

    private Watchdog(string marker) => _marker = marker;

    public static Watchdog Start(string cleanupCommand)
    {
        var marker = Path.Combine(Path.GetTempPath(), $"chat-watchdog-{Guid.NewGuid():N}");
        File.WriteAllText(marker, "");
        var m = Quote(marker);
        var loop = $"while kill -0 {Environment.ProcessId} && [ -e {m} ]; do sleep 1; done; if [ -e {m} ]; then rm -f {m}; {cleanupCommand}; fi";
        // The inner shell is left behind by the outer one, so it is no longer in the test host's process tree;
        // it also lets go of the host's standard streams, so the test runner never waits on it.
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"sh -c {Quote(loop)} </dev/null >/dev/null 2>&1 &");
        using var launcher = Process.Start(start)!;
        launcher.WaitForExit();
        return new Watchdog(marker);
    }

    public static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public void Dispose() => File.Delete(_marker);
}
