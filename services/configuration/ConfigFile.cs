using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Configuration;

/// <summary>Writes config.json for a change made through the API.</summary>
public static class ConfigFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>
    /// The file's new text: <paramref name="candidate"/>, except that settings this node takes from MM_ environment
    /// variables keep what the file had (unless the change set them to something else): a node's own overrides
    /// (its hostname, its listen address) must not end up in the file every node reads. Unknown sections of the
    /// existing file are kept.
    /// </summary>
    public static string Render(ChatConfig candidate, ChatConfig current, string? existingText, IReadOnlyDictionary<string, string?> environment)
    {
        var file = ParseObject(existingText);
        var next = JsonSerializer.SerializeToNode(candidate)!.AsObject();
        var running = JsonSerializer.SerializeToNode(current)!.AsObject();
        var overridden = environment.Keys
            .Where(k => k.StartsWith(ConfigLoader.EnvPrefix, StringComparison.Ordinal))
            .Select(k => k[ConfigLoader.EnvPrefix.Length..].ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        foreach (var (section, value) in next)
        {
            if (value is not JsonObject settings)
            {
                continue;
            }
            var target = Find(file, section) as JsonObject;
            if (target is null)
            {
                target = [];
                file[section] = target;
            }
            foreach (var (key, setting) in settings)
            {
                var fromEnvironment = overridden.Contains($"{section}_{key}".ToUpperInvariant());
                if (fromEnvironment && JsonNode.DeepEquals(setting, running[section]?[key]))
                {
                    continue;
                }
                var existing = target.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Key;
                if (existing is not null)
                {
                    target.Remove(existing);
                }
                target[key] = setting?.DeepClone();
            }
        }
        return file.ToJsonString(Json);
    }

    private static JsonObject ParseObject(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static JsonNode? Find(JsonObject obj, string name) =>
        obj.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}
