using System.Diagnostics;
using System.Text;

namespace Chat.Testing;

/// <summary>Runs a short-lived tool (initdb, pg_ctl, chown) to completion and fails with its output.</summary>
internal static class Command
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, bool check = true)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Describe(file, start.ArgumentList)} did not finish within {timeout}:\n{Text(output)}");
        }
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Describe(file, start.ArgumentList)} exited with {process.ExitCode}:\n{Text(output)}");
        }
        return Text(output);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string Describe(string file, IEnumerable<string> arguments) => string.Join(' ', [file, .. arguments]);
}
