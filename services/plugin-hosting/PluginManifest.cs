using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Plugins.Hosting;

/// <summary>
/// A bundle's plugin.json in Mattermost's snake_case shape. <see cref="Server"/> is absent for webapp-only plugins,
/// which have nothing to run.
/// </summary>
public sealed record PluginManifest
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("description")] public string Description { get; init; } = "";
    [JsonPropertyName("version")] public string Version { get; init; } = "";
    [JsonPropertyName("min_server_version")] public string? MinServerVersion { get; init; }
    [JsonPropertyName("server")] public PluginServerManifest? Server { get; init; }
    [JsonPropertyName("settings_schema")] public JsonElement? SettingsSchema { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>
/// The server part of a plugin: <see cref="Executable"/> is a path relative to the bundle's root of a
/// framework-dependent .NET assembly (.dll), run as <c>dotnet &lt;dll&gt;</c>.
/// </summary>
public sealed record PluginServerManifest
{
    [JsonPropertyName("executable")] public string Executable { get; init; } = "";
}
