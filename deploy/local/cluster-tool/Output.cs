using Npgsql;

namespace Chat.ClusterTool;

/// <summary>A failure the tool explains in its own words; no stack trace follows.</summary>
public sealed class ClusterToolException(string message) : Exception(message);

/// <summary>Messages in the launcher's format, so its output reads as one.</summary>
public static class Output
{
    private static readonly bool Colour = !Console.IsOutputRedirected;

    public static void Note(string message) => Console.WriteLine($"    {message}");

    /// <summary>Runs a command; a failure the launcher can meet (an API or database refusing, a missing file) becomes its message.</summary>
    public static async Task<int> ReportFailuresAsync(Func<Task> command)
    {
        try
        {
            await command();
            return 0;
        }
        catch (Exception e) when (e is ClusterToolException or HttpRequestException or TaskCanceledException or NpgsqlException or IOException)
        {
            Console.Error.WriteLine(Colour ? $"\e[31merror:\e[0m {e.Message}" : $"error: {e.Message}");
            return 1;
        }
    }
}
