using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Configuration;

/// <summary>What a reload changed: settings now in effect, and settings that only a restart applies (left as they were).</summary>
public sealed record ConfigChange(IReadOnlyList<string> Applied, IReadOnlyList<string> RequiresRestart);

/// <summary>
/// The node's current configuration. <see cref="Current"/> is the ChatConfig instance registered at start-up; a
/// reload swaps its sections for new ones, so code that reads a setting when it needs it (config.TeamSettings.X)
/// sees the new value from then on. Settings bound at start-up (listen address, Kestrel limits, pool sizes, the
/// cluster and Dapr providers) are not changed live: they are reported as needing a restart.
/// </summary>
public sealed class LiveConfig(ChatConfig current)
{
    /// <summary>"Section.Setting", or "Section.*" for a whole section.</summary>
    private static readonly HashSet<string> RestartOnly = new(StringComparer.Ordinal)
    {
        "ServiceSettings.ListenAddress",
        "ServiceSettings.MaximumPayloadSizeBytes",
        "ServiceSettings.WebSocketResumeWindowMinutes",
        "ServiceSettings.TrustedProxies",
        "SqlSettings.MaxOpenConns",
        "SqlSettings.MaxIdleConns",
        "SqlSettings.QueryTimeout",
        "ClusterSettings.*",
        "DaprSettings.*",
        // The limiters are built at start-up, as Mattermost's are (its console says the section needs a restart).
        "RateLimitSettings.*",
    };

    private readonly Lock gate = new();
    private readonly List<Func<ChatConfig, IEnumerable<string>>> restartChecks = [];

    public ChatConfig Current { get; } = current;

    /// <summary>Raised after a reload changed something live, on the reloading thread.</summary>
    public event Action<ConfigChange>? Changed;

    /// <summary>A component's own rule for settings it cannot apply live, given the candidate configuration.</summary>
    public void AddRestartCheck(Func<ChatConfig, IEnumerable<string>> check)
    {
        lock (gate)
        {
            restartChecks.Add(check);
        }
    }

    /// <summary>Reads the configuration source again (MM_CONFIG and the environment) and applies it.</summary>
    /// <exception cref="ConfigException">The source is invalid; nothing was changed.</exception>
    public ConfigChange Reload() => Apply(ConfigLoader.LoadFromProcess());

    public ConfigChange Apply(ChatConfig next)
    {
        ConfigChange change;
        lock (gate)
        {
            var before = JsonSerializer.SerializeToNode(Current)!.AsObject();
            var after = JsonSerializer.SerializeToNode(next)!.AsObject();
            var vetoed = restartChecks.SelectMany(check => check(next)).ToHashSet(StringComparer.Ordinal);
            List<string> applied = [], restart = [];
            foreach (var (section, value) in after)
            {
                if (value is not JsonObject settings || before[section] is not JsonObject old)
                {
                    continue;
                }
                foreach (var (key, setting) in settings.ToList())
                {
                    if (JsonNode.DeepEquals(setting, old[key]))
                    {
                        continue;
                    }
                    var name = $"{section}.{key}";
                    if (RestartOnly.Contains(name) || RestartOnly.Contains($"{section}.*") || vetoed.Contains(name))
                    {
                        restart.Add(name);
                        settings[key] = old[key]?.DeepClone();
                    }
                    else
                    {
                        applied.Add(name);
                    }
                }
            }
            var merged = after.Deserialize<ChatConfig>()!;
            foreach (var property in typeof(ChatConfig).GetProperties().Where(p => p.CanWrite))
            {
                property.SetValue(Current, property.GetValue(merged));
            }
            change = new ConfigChange(applied, restart);
        }
        if (change.Applied.Count > 0)
        {
            Changed?.Invoke(change);
        }
        return change;
    }
}
