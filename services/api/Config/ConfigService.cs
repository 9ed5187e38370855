using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chat.BuildingBlocks.PubSub;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Cluster;
using Chat.Store.Routing;

namespace Chat.Api.Config;

/// <summary>The result of a reload on the node that served the request (the others reload through the cluster event).</summary>
public sealed record ConfigReloadResult(string Status, IReadOnlyList<string> Applied, IReadOnlyList<string> RequiresRestart);

/// <summary>
/// Reading and changing the configuration. Every node reads the same source (MM_CONFIG's file plus its environment);
/// a change goes to that file and every node reloads from it, so the nodes never disagree for longer than the
/// reload event takes to reach them.
/// </summary>
public sealed class ConfigService(LiveConfig config, IEventBus bus, NodeInfo node)
{
    public JsonObject Get() => ConfigRedaction.Redacted(config.Current);

    /// <summary>What the Mattermost webapp and clients read before login (format=old: a flat map of strings).</summary>
    public Dictionary<string, string> Client()
    {
        var c = config.Current;
        static string Bool(bool b) => b ? "true" : "false";
        return new()
        {
            ["Version"] = node.Version,
            ["BuildNumber"] = node.Version,
            ["SiteURL"] = c.ServiceSettings.SiteURL,
            ["SiteName"] = "Chat",
            ["EnableOpenServer"] = Bool(c.TeamSettings.EnableOpenServer),
            ["EnableSignUpWithEmail"] = "true",
            ["EnableSignInWithEmail"] = "true",
            ["EnableSignInWithUsername"] = "true",
            ["PasswordMinimumLength"] = c.PasswordSettings.MinimumLength.ToString(CultureInfo.InvariantCulture),
            ["ShowEmailAddress"] = Bool(c.PrivacySettings.ShowEmailAddress),
            ["ShowFullName"] = Bool(c.PrivacySettings.ShowFullName),
            ["MaxPostSize"] = c.ServiceSettings.MaxPostSizeRunes.ToString(CultureInfo.InvariantCulture),
            ["EnableCluster"] = Bool(c.ClusterSettings.Enable),
            ["EnableCustomEmoji"] = Bool(c.ServiceSettings.EnableCustomEmoji),
            ["EnableFileAttachments"] = Bool(c.FileSettings.EnableFileAttachments),
            ["EnablePublicLink"] = Bool(c.FileSettings.EnablePublicLink),
            ["MaxFileSize"] = c.FileSettings.MaxFileSize.ToString(CultureInfo.InvariantCulture),
            ["PluginsEnabled"] = Bool(c.PluginSettings.Enable),
            ["DataRetentionEnableMessageDeletion"] = Bool(c.DataRetentionSettings.EnableMessageDeletion),
        };
    }

    /// <summary>
    /// Replaces the configuration file (sections and settings left out keep their current values; secrets sent back
    /// as the placeholder keep theirs), then reloads every node. Refused while ClusterSettings.ReadOnlyConfig is true.
    /// </summary>
    public async Task<JsonObject> UpdateAsync(JsonObject submitted)
    {
        if (config.Current.ClusterSettings.ReadOnlyConfig)
        {
            throw new AppErrorException(403, "api.config.update_config.read_only.app_error",
                "The configuration is read-only (ClusterSettings.ReadOnlyConfig is true): edit the configuration file and reload it with POST /api/v4/config/reload.");
        }
        var path = global::System.Environment.GetEnvironmentVariable(ConfigLoader.ConfigPathVariable);
        if (string.IsNullOrEmpty(path))
        {
            throw new AppErrorException(403, "api.config.update_config.no_file.app_error",
                $"This node has no configuration file ({ConfigLoader.ConfigPathVariable} is not set): its settings come from the environment only.");
        }
        var merged = JsonSerializer.SerializeToNode(config.Current)!.AsObject();
        // Names as config.json spells them (matched case-insensitively, like the file loader does).
        var canonical = new JsonObject();
        foreach (var (submittedSection, value) in submitted)
        {
            var section = merged.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, submittedSection, StringComparison.OrdinalIgnoreCase))
                ?? throw AppErrorException.BadRequest("api.config.update_config.unknown_section.app_error", $"Unknown configuration section '{submittedSection}'.");
            if (value is not JsonObject settings)
            {
                throw AppErrorException.BadRequest("api.config.update_config.invalid.app_error", $"{section}: must be an object.");
            }
            var target = merged[section]!.AsObject();
            var values = new JsonObject();
            foreach (var (submittedKey, setting) in settings)
            {
                var key = target.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, submittedKey, StringComparison.OrdinalIgnoreCase))
                    ?? throw AppErrorException.BadRequest("api.config.update_config.unknown_setting.app_error", $"Unknown setting '{section}.{submittedKey}'.");
                values[key] = setting?.DeepClone();
            }
            canonical[section] = values;
        }
        ConfigRedaction.Restore(canonical, config.Current);
        foreach (var (section, values) in canonical)
        {
            foreach (var (key, setting) in values!.AsObject())
            {
                merged[section]![key] = setting?.DeepClone();
            }
        }
        ChatConfig candidate;
        try
        {
            candidate = merged.Deserialize<ChatConfig>() ?? throw new ConfigException("config: must be an object");
            ConfigValidator.Validate(candidate);
            ConfigValidator.RequireDatabase(candidate);
        }
        catch (JsonException e)
        {
            throw AppErrorException.BadRequest("api.config.update_config.invalid.app_error", $"{e.Path?.TrimStart('$', '.') ?? "config"}: {e.Message}");
        }
        catch (ConfigException e)
        {
            throw AppErrorException.BadRequest("api.config.update_config.invalid.app_error", e.Message);
        }
        var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : null;
        await WriteAtomicallyAsync(path, ConfigFile.Render(candidate, config.Current, existing, ProcessEnvironment()));
        await ReloadAsync();
        return Get();
    }

    /// <summary>Reloads this node now, then every node of every service through the cluster event.</summary>
    public async Task<ConfigReloadResult> ReloadAsync()
    {
        ConfigChange change;
        try
        {
            change = config.Reload();
        }
        catch (ConfigException e)
        {
            throw AppErrorException.BadRequest("api.config.reload_config.invalid.app_error", $"The configuration source is invalid, nothing was reloaded: {e.Message}");
        }
        await PublishAsync(bus, ClusterOperations.ReloadEvent());
        return new ConfigReloadResult("OK", change.Applied, change.RequiresRestart);
    }

    /// <summary>
    /// Publishes through the event log, which lives in the database: right after a failover the first connections
    /// can still fail (broken idle connections, a promotion not yet seen), so the publish is retried for a few seconds.
    /// </summary>
    public static async Task PublishAsync(IEventBus bus, ClusterEvent clusterEvent)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await bus.PublishAsync(clusterEvent);
                return;
            }
            catch (Exception e) when (DatabaseRouter.IsServerUnavailable(e) && attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }

    private static Dictionary<string, string?> ProcessEnvironment() =>
        global::System.Environment.GetEnvironmentVariables()
            .Cast<global::System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);

    /// <summary>Readers see the old file or the new one, never a half-written one.</summary>
    private static async Task WriteAtomicallyAsync(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            await using (var writer = new StreamWriter(stream))
            {
                await writer.WriteAsync(text);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
