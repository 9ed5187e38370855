using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Configuration;

/// <summary>
/// Builds a <see cref="ChatConfig"/> from defaults, an optional config.json and MM_SECTION_SETTING
/// environment variables (Mattermost's override convention), in that order of precedence.
/// </summary>
public static class ConfigLoader
{
    public const string EnvPrefix = "MM_";
    public const string ConfigPathVariable = "MM_CONFIG";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static ChatConfig Load(string? path, IReadOnlyDictionary<string, string?> environment)
    {
        var root = JsonSerializer.SerializeToNode(new ChatConfig(), Json)!.AsObject();
        if (!string.IsNullOrEmpty(path))
        {
            MergeFile(root, path);
        }
        ApplyEnvironment(root, environment);
        ChatConfig config;
        try
        {
            config = root.Deserialize<ChatConfig>(Json)!;
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{e.Path?.TrimStart('$', '.') ?? "config"}: {e.Message}");
        }
        ConfigValidator.Validate(config);
        return config;
    }

    /// <summary>Loads from MM_CONFIG (if set) and the process environment.</summary>
    public static ChatConfig LoadFromProcess()
    {
        var env = Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        env.TryGetValue(ConfigPathVariable, out var path);
        return Load(path, env);
    }

    /// <summary>
    /// A hash of everything but the settings that legitimately differ per node (ClusterSettings, the listen
    /// address and the local plugin folders): nodes with different hashes are flagged as a configuration mismatch.
    /// </summary>
    public static string Hash(ChatConfig config) => HashOf(JsonSerializer.SerializeToNode(config)!.AsObject());

    /// <summary>
    /// The hash clients see (X-Version-Id, the WebSocket hello): the same settings with their secrets redacted, so a
    /// public hash cannot be used to test guesses of a password or connection string offline.
    /// </summary>
    public static string PublicHash(ChatConfig config) => HashOf(ConfigRedaction.Redacted(config));

    private static string HashOf(JsonObject node)
    {
        node.Remove(nameof(ChatConfig.ClusterSettings));
        node[nameof(ChatConfig.ServiceSettings)]!.AsObject().Remove(nameof(ServiceSettings.ListenAddress));
        // Each node's own local folders (nodes may run side by side on one machine) say nothing about the cluster's settings.
        var plugins = node[nameof(ChatConfig.PluginSettings)]!.AsObject();
        plugins.Remove(nameof(PluginSettings.Directory));
        plugins.Remove(nameof(PluginSettings.ClientDirectory));
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(node.ToJsonString()));
        return Convert.ToHexStringLower(bytes)[..32];
    }

    private static void MergeFile(JsonObject root, string path)
    {
        JsonNode? file;
        try
        {
            file = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new ConfigException($"{path}: {e.Message}");
        }
        if (file is not JsonObject sections)
        {
            throw new ConfigException($"{path}: the configuration must be a JSON object");
        }
        foreach (var (sectionName, sectionValue) in sections)
        {
            // Unknown sections are tolerated so a Mattermost config.json can be reused as is.
            if (FindProperty(root, sectionName) is not { } section || sectionValue is not JsonObject values)
            {
                continue;
            }
            var target = section.Value!.AsObject();
            foreach (var (key, value) in values)
            {
                if (FindProperty(target, key) is { } setting)
                {
                    target[setting.Key] = value?.DeepClone();
                }
            }
        }
    }

    private static void ApplyEnvironment(JsonObject root, IReadOnlyDictionary<string, string?> environment)
    {
        foreach (var (name, raw) in environment)
        {
            if (!name.StartsWith(EnvPrefix, StringComparison.Ordinal) || raw is null || name == ConfigPathVariable)
            {
                continue;
            }
            var parts = name[EnvPrefix.Length..].Split('_', 2);
            if (parts.Length != 2
                || FindProperty(root, parts[0]) is not { } section
                || FindProperty(section.Value!.AsObject(), parts[1]) is not { } setting)
            {
                continue;
            }
            section.Value.AsObject()[setting.Key] = ParseOverride($"{section.Key}.{setting.Key}", setting.Value, raw);
        }
    }

    private static JsonNode? ParseOverride(string setting, JsonNode? current, string raw)
    {
        switch (current?.GetValueKind())
        {
            case JsonValueKind.True or JsonValueKind.False:
                return bool.TryParse(raw, out var b) ? JsonValue.Create(b) : throw new ConfigException($"{setting}: '{raw}' is not true or false");
            case JsonValueKind.Number:
                return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n) : throw new ConfigException($"{setting}: '{raw}' is not a whole number");
            case JsonValueKind.Object:
                // Maps (PluginSettings.Plugins) are overridden as a whole, as JSON.
                try
                {
                    return JsonNode.Parse(raw) as JsonObject ?? throw new ConfigException($"{setting}: expected a JSON object");
                }
                catch (JsonException e)
                {
                    throw new ConfigException($"{setting}: {e.Message}");
                }
            case JsonValueKind.Array:
                if (raw.TrimStart().StartsWith('['))
                {
                    try
                    {
                        return JsonNode.Parse(raw);
                    }
                    catch (JsonException e)
                    {
                        throw new ConfigException($"{setting}: {e.Message}");
                    }
                }
                // Mattermost reads list overrides as space-separated values.
                return new JsonArray([.. raw.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => (JsonNode)JsonValue.Create(v))]);
            default:
                return JsonValue.Create(raw);
        }
    }

    private static KeyValuePair<string, JsonNode?>? FindProperty(JsonObject obj, string name)
    {
        foreach (var pair in obj)
        {
            if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return pair;
            }
        }
        return null;
    }
}

/// <summary>An invalid configuration; the message names the setting.</summary>
public sealed class ConfigException(string message) : Exception(message);
