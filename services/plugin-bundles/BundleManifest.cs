using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Chat.Plugins.Bundles;

/// <summary>
/// A validated plugin.json: Mattermost's manifest fields (unknown ones are dropped, as Mattermost's own decoding
/// drops them) and their rules — an id of 3 to 190 characters of a-z A-Z 0-9 - _ . (lower-cased, as Mattermost
/// reads it), a name, http(s) links, strict semantic versions, a well-formed settings schema — plus ours: a
/// version is required, and paths into the bundle (server executable, webapp bundle, icon) stay inside it.
/// </summary>
public sealed partial record BundleManifest(
    string Id,
    string Name,
    string Description,
    string Version,
    string? MinServerVersion,
    string? ServerExecutable,
    string? WebappBundlePath,
    string? IconPath,
    JsonObject Json)
{
    public const int MinIdLength = 3;
    public const int MaxIdLength = 190;
    public const string IdPattern = "^[a-zA-Z0-9-_\\.]+$";

    /// <summary>plugin.json itself; Mattermost's manifests are a few kilobytes.</summary>
    public const int MaxBytes = 1024 * 1024;

    private const int MaxTextLength = 4096;
    private static readonly HashSet<string> SettingTypes = ["bool", "dropdown", "generated", "radio", "text", "longtext", "number", "username", "custom"];
    private static readonly HashSet<string> PlaceholderTypes = ["generated", "text", "longtext", "number", "username", "custom"];

    public static bool IsValidId(string? id) =>
        id is { Length: >= MinIdLength and <= MaxIdLength } && ValidId().IsMatch(id);

    /// <summary>Mattermost's manifest JSON, as GET /api/v4/plugins and the upload's answer carry it.</summary>
    public string ToJson() => Json.ToJsonString();

    public static BundleManifest FromJson(string json) => Parse(Encoding.UTF8.GetBytes(json));

    /// <exception cref="BundleException">The manifest is not valid; the message says which field and why.</exception>
    public static BundleManifest Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes)
        {
            throw BundleException.Manifest($"it is larger than {MaxBytes} bytes");
        }
        JsonObject root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                ?? throw BundleException.Manifest("it is not a JSON object");
        }
        catch (JsonException e)
        {
            throw BundleException.Manifest($"it is not valid JSON ({e.Message})");
        }

        var id = (Text(root, "id") ?? "").ToLowerInvariant();
        if (!IsValidId(id))
        {
            throw new BundleException("app.plugin.invalid_id.app_error",
                $"Plugin id '{Shorten(id)}' is invalid: it must be {MinIdLength} to {MaxIdLength} characters and match {IdPattern}.");
        }
        var name = Text(root, "name");
        if (string.IsNullOrWhiteSpace(name))
        {
            throw BundleException.Manifest("a plugin name is needed (\"name\")");
        }
        var version = Text(root, "version");
        if (!SemanticVersion.TryParse(version, out _))
        {
            throw new BundleException("app.plugin.invalid_version.app_error",
                $"Plugin version '{Shorten(version ?? "")}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0).");
        }
        var minServerVersion = Text(root, "min_server_version");
        if (minServerVersion is { Length: > 0 } && !SemanticVersion.TryParse(minServerVersion, out _))
        {
            throw new BundleException("app.plugin.invalid_version.app_error",
                $"min_server_version '{Shorten(minServerVersion)}' is not a semantic version (MAJOR.MINOR.PATCH).");
        }
        var json = new JsonObject { ["id"] = id, ["name"] = name };
        var description = Text(root, "description") ?? "";
        Limit(description, "description", 64 * 1024);
        Limit(name, "name", MaxTextLength);
        if (description.Length > 0)
        {
            json["description"] = description;
        }
        foreach (var link in new[] { "homepage_url", "support_url", "release_notes_url" })
        {
            if (Text(root, link) is { Length: > 0 } url)
            {
                Limit(url, link, MaxTextLength);
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
                {
                    throw BundleException.Manifest($"{link} '{Shorten(url)}' is not an http(s) URL");
                }
                json[link] = url;
            }
        }
        var iconPath = BundlePath(Text(root, "icon_path"), "icon_path");
        if (iconPath is not null)
        {
            json["icon_path"] = iconPath;
        }
        json["version"] = version;
        if (minServerVersion is { Length: > 0 })
        {
            json["min_server_version"] = minServerVersion;
        }

        string? executable = null;
        if (Object(root, "server") is { } server)
        {
            executable = BundlePath(Text(server, "executable"), "server.executable")
                ?? throw BundleException.Manifest("server.executable is required when the manifest has a server part");
            json["server"] = new JsonObject { ["executable"] = executable };
        }
        string? webappBundle = null;
        if (Object(root, "webapp") is { } webapp)
        {
            webappBundle = BundlePath(Text(webapp, "bundle_path"), "webapp.bundle_path");
            json["webapp"] = new JsonObject { ["bundle_path"] = webappBundle ?? "" };
        }
        if (Object(root, "settings_schema") is { } schema)
        {
            ValidateSettingsSchema(schema);
            json["settings_schema"] = schema.DeepClone();
        }
        if (Object(root, "props") is { } props)
        {
            json["props"] = props.DeepClone();
        }
        return new BundleManifest(id, name, description, version!, minServerVersion is { Length: > 0 } ? minServerVersion : null,
            executable, webappBundle, iconPath, json);
    }

    /// <summary>Whether a server of <paramref name="serverVersion"/> may run the plugin.</summary>
    public bool IsSatisfiedBy(string serverVersion) =>
        MinServerVersion is null
        || !SemanticVersion.TryParse(MinServerVersion, out var required)
        || (SemanticVersion.TryParse(serverVersion, out var server) && server >= required);

    private static void ValidateSettingsSchema(JsonObject schema)
    {
        Text(schema, "settings_schema.header");
        Text(schema, "settings_schema.footer");
        if (schema["settings"] is null)
        {
            return;
        }
        if (schema["settings"] is not JsonArray settings)
        {
            throw BundleException.Manifest("settings_schema.settings must be an array");
        }
        for (var i = 0; i < settings.Count; i++)
        {
            var where = $"settings_schema.settings[{i}]";
            if (settings[i] is not JsonObject setting)
            {
                throw BundleException.Manifest($"{where} must be an object");
            }
            var type = Text(setting, "type", where) ?? "";
            if (!SettingTypes.Contains(type))
            {
                throw BundleException.Manifest($"{where}.type '{Shorten(type)}' is not one of {string.Join(", ", SettingTypes)}");
            }
            Text(setting, "key", where);
            Text(setting, "display_name", where);
            Text(setting, "help_text", where);
            if (Text(setting, "regenerate_help_text", where) is { Length: > 0 } && type != "generated")
            {
                throw BundleException.Manifest($"{where}.regenerate_help_text is only for settings of type generated");
            }
            if (Text(setting, "placeholder", where) is { Length: > 0 } && !PlaceholderTypes.Contains(type))
            {
                throw BundleException.Manifest($"{where}.placeholder is only for settings of type {string.Join(", ", PlaceholderTypes)}");
            }
            if (setting["options"] is { } optionsNode)
            {
                if (type is not ("radio" or "dropdown"))
                {
                    throw BundleException.Manifest($"{where}.options is only for settings of type radio or dropdown");
                }
                if (optionsNode is not JsonArray options)
                {
                    throw BundleException.Manifest($"{where}.options must be an array");
                }
                foreach (var option in options)
                {
                    if (option is not JsonObject o || string.IsNullOrEmpty(Text(o, "display_name", $"{where}.options[]")) || string.IsNullOrEmpty(Text(o, "value", $"{where}.options[]")))
                    {
                        throw BundleException.Manifest($"{where}.options: every option needs a display_name and a value");
                    }
                }
            }
        }
    }

    /// <summary>A string field, or null when absent; any other JSON type is refused.</summary>
    private static string? Text(JsonObject parent, string name, string? where = null)
    {
        var field = name.Contains('.') ? name[(name.LastIndexOf('.') + 1)..] : name;
        return parent[field] switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => throw BundleException.Manifest($"{(where is null ? name : $"{where}.{field}")} must be a string"),
        };
    }

    private static JsonObject? Object(JsonObject parent, string name) => parent[name] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw BundleException.Manifest($"{name} must be an object"),
    };

    /// <summary>A relative path inside the bundle, normalized; null when absent or empty.</summary>
    private static string? BundlePath(string? path, string field)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        return BundlePaths.TryNormalize(path, out var normalized, out var problem) && normalized.Length > 0
            ? normalized
            : throw BundleException.Manifest($"{field} '{Shorten(path)}' must be a relative path inside the bundle{(problem is null ? "" : $" ({problem})")}");
    }

    private static void Limit(string value, string field, int max)
    {
        if (value.Length > max)
        {
            throw BundleException.Manifest($"{field} is longer than {max} characters");
        }
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    // IdPattern as .NET reads it: \z, because $ would also match before a final newline.
    [GeneratedRegex(@"^[a-zA-Z0-9_.-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();
}
