using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Configuration;

/// <summary>
/// Secrets never leave the node through the API: they are shown as Mattermost's placeholder, and a placeholder
/// sent back (GET, edit, PUT) means "keep the current value". Plugins' own settings (PluginSettings.Plugins) are
/// covered too: a plugin's key is a secret by the same words, in any case (plugins name keys in lower case).
/// </summary>
public static class ConfigRedaction
{
    public const string Placeholder = "********";

    private static readonly HashSet<string> Secrets = new(StringComparer.Ordinal)
    {
        "SqlSettings.DataSource",
        "SqlSettings.DataSourceReplicas",
        "SqlSettings.DataSourceSearchReplicas",
    };

    private static readonly string[] SecretWords = ["Password", "Secret", "Token", "Salt", "PrivateKey", "AccessKey", "EncryptKey", "EncryptionKey", "ApiKey"];

    public static bool IsSecret(string section, string key) =>
        Secrets.Contains($"{section}.{key}") || SecretWords.Any(w => key.Contains(w, StringComparison.Ordinal));

    private static bool IsPluginSecret(string key) => SecretWords.Any(w => key.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>The configuration as JSON (config.json shape) with every secret replaced by the placeholder.</summary>
    public static JsonObject Redacted(ChatConfig config)
    {
        var root = JsonSerializer.SerializeToNode(config)!.AsObject();
        foreach (var (settings, key, _) in SecretSlots(root))
        {
            settings[key] = settings[key] switch
            {
                JsonArray list => new JsonArray([.. list.Select(_ => (JsonNode)JsonValue.Create(Placeholder))]),
                JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0 => "",
                null => null,
                _ => Placeholder,
            };
        }
        return root;
    }

    /// <summary>Puts the current secret values back where <paramref name="submitted"/> holds placeholders.</summary>
    public static void Restore(JsonObject submitted, ChatConfig current)
    {
        var actual = JsonSerializer.SerializeToNode(current)!.AsObject();
        foreach (var (settings, key, path) in SecretSlots(submitted))
        {
            var placeholder = settings[key] switch
            {
                JsonValue v => v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == Placeholder,
                JsonArray list => list.Count > 0 && list.All(e => e is JsonValue ev && ev.GetValueKind() == JsonValueKind.String && ev.GetValue<string>() == Placeholder),
                _ => false,
            };
            if (placeholder)
            {
                var holder = path.Aggregate((JsonNode?)actual, (node, name) => node?[name]);
                settings[key] = holder?[key]?.DeepClone();
            }
        }
    }

    /// <summary>Every secret setting in <paramref name="root"/>: the object holding it, its key, and that object's path from the root.</summary>
    private static IEnumerable<(JsonObject Settings, string Key, string[] Path)> SecretSlots(JsonObject root)
    {
        foreach (var (section, value) in root.ToList())
        {
            if (value is not JsonObject settings)
            {
                continue;
            }
            foreach (var key in settings.Select(p => p.Key).ToList())
            {
                if (IsSecret(section, key))
                {
                    yield return (settings, key, [section]);
                }
            }
        }
        if (root[nameof(ChatConfig.PluginSettings)]?[nameof(PluginSettings.Plugins)] is JsonObject plugins)
        {
            foreach (var (id, plugin) in plugins.ToList())
            {
                if (plugin is not JsonObject pluginSettings)
                {
                    continue;
                }
                foreach (var key in pluginSettings.Select(p => p.Key).Where(IsPluginSecret).ToList())
                {
                    yield return (pluginSettings, key, [nameof(ChatConfig.PluginSettings), nameof(PluginSettings.Plugins), id]);
                }
            }
        }
    }
}
