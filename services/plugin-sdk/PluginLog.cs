using System.Text.Json;

namespace Chat.Plugins.Sdk;

/// <summary>
/// Log lines go to stderr as one JSON object each (<c>{"level","msg","fields"}</c>); the node writes them to its own
/// structured log under the plugin's id. Anything else a plugin writes to stdout or stderr is logged as plain text.
/// </summary>
internal static class PluginLog
{
    private static readonly Lock Gate = new();

    public static void Write(string level, string message, object?[] keyValuePairs)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < keyValuePairs.Length; i += 2)
        {
            fields[keyValuePairs[i]?.ToString() ?? ""] = keyValuePairs[i + 1]?.ToString();
        }
        if (keyValuePairs.Length % 2 == 1)
        {
            fields["_extra"] = keyValuePairs[^1]?.ToString();
        }
        var line = JsonSerializer.Serialize(new { level, msg = message, fields });
        lock (Gate)
        {
            Console.Error.WriteLine(line);
        }
    }
}
