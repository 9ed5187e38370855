using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Configuration;

/// <summary>
/// Secrets never leave the node through the API: they are shown as Mattermost's placeholder, and a placeholder
/// sent back (GET, edit, PUT) means "keep the current value".
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

    private static readonly string[] SecretWords = ["Password", "Secret", "Token", "Salt", "PrivateKey", "AccessKey", "EncryptKey"];

    public static bool IsSecret(string section, string key) =>
        Secrets.Contains($"{section}.{key}") || SecretWords.Any(w => key.Contains(w, StringComparison.Ordinal));

    /// <summary>The configuration as JSON (config.json shape) with every secret replaced by the placeholder.</summary>
    public static JsonObject Redacted(ChatConfig config)
    {
        var root = JsonSerializer.SerializeToNode(config)!.AsObject();
        foreach (var (section, value) in root)
        {
            if (value is not JsonObject settings)
            {
                continue;
            }
            foreach (var (key, setting) in settings.ToList())
            {
                if (!IsSecret(section, key))
                {
                    continue;
                }
                settings[key] = setting switch
                {
                    JsonArray list => new JsonArray([.. list.Select(_ => (JsonNode)JsonValue.Create(Placeholder))]),
                    JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0 => "",
                    _ => Placeholder,
                };
            }
        }
        return root;
    }

    /// <summary>Puts the current secret values back where <paramref name="submitted"/> holds placeholders.</summary>
    public static void Restore(JsonObject submitted, ChatConfig current)
    {
        var actual = JsonSerializer.SerializeToNode(current)!.AsObject();
        foreach (var (section, value) in submitted)
        {
            if (value is not JsonObject settings || actual[section] is not JsonObject currentSettings)
            {
                continue;
            }
            foreach (var (key, setting) in settings.ToList())
            {
                if (!IsSecret(section, key))
                {
                    continue;
                }
                var placeholder = setting switch
                {
                    JsonValue v => v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == Placeholder,
                    JsonArray list => list.Count > 0 && list.All(e => e is JsonValue ev && ev.GetValueKind() == JsonValueKind.String && ev.GetValue<string>() == Placeholder),
                    _ => false,
                };
                if (placeholder)
                {
                    settings[key] = currentSettings[key]?.DeepClone();
                }
            }
        }
    }
}
