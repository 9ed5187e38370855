using System.Globalization;
using Chat.Configuration;

namespace Chat.BuildingBlocks;

public enum BuildingBlockProvider
{
    /// <summary>Built on the cluster's PostgreSQL; needs nothing else.</summary>
    Embedded,
    /// <summary>The Dapr sidecar's HTTP API v1.0.</summary>
    Dapr,
}

/// <summary>Which provider serves the building blocks, and how. Built from <see cref="DaprSettings"/> and Dapr's variables.</summary>
public sealed class BuildingBlocksOptions
{
    public BuildingBlockProvider Provider { get; set; } = BuildingBlockProvider.Embedded;
    /// <summary>The Dapr pub/sub component name.</summary>
    public string PubSubName { get; set; } = "pubsub";
    /// <summary>The Dapr state store component name (also the actor state store, for reminders).</summary>
    public string StateStoreName { get; set; } = "statestore";
    /// <summary>The Dapr lock store component name.</summary>
    public string LockStoreName { get; set; } = "lockstore";
    /// <summary>
    /// Set to make this process a durable consumer that, after a restart, also receives the events published while
    /// it was down. Embedded: its position in the log is stored under this name (two live processes must never share
    /// one; subscribe before the bus starts, as the missed events go to the subscriptions it resumes with). Dapr: the
    /// component's per-instance consumer group keeps the position; this only stops the provider from discarding
    /// events older than the process. Unset (the default), a process receives the events published from its start on.
    /// </summary>
    public string? ConsumerName { get; set; }
    public EmbeddedPubSubOptions Embedded { get; } = new();
    public ReminderOptions Reminders { get; } = new();
    public DaprSidecarOptions Dapr { get; } = new();

    public static BuildingBlocksOptions FromConfig(ChatConfig config, IReadOnlyDictionary<string, string?> environment)
    {
        var settings = config.DaprSettings;
        var options = new BuildingBlocksOptions
        {
            Provider = Enum.Parse<BuildingBlockProvider>(settings.Provider, ignoreCase: true),
            PubSubName = settings.PubSubName,
            StateStoreName = settings.StateStoreName,
            LockStoreName = settings.LockStoreName,
        };
        options.Embedded.Retention = TimeSpan.FromMinutes(settings.EventRetentionMinutes);
        options.Dapr.HttpEndpoint = DaprSidecarOptions.SidecarEndpoint(environment);
        options.Dapr.ApiToken = NonEmpty(environment, "DAPR_API_TOKEN");
        options.Dapr.AppApiToken = NonEmpty(environment, "APP_API_TOKEN");
        options.Dapr.AppId = NonEmpty(environment, "APP_ID") ?? options.Dapr.AppId;
        return options;
    }

    private static string? NonEmpty(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
}

public sealed class EmbeddedPubSubOptions
{
    /// <summary>Events older than this are pruned.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Readers also poll this often, in case a wake-up was lost (e.g. the publisher died right after its commit).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Least time between two wake-up notifications from this process; commits in between share one.</summary>
    public TimeSpan NotifyMinInterval { get; set; } = TimeSpan.FromMilliseconds(5);
    /// <summary>
    /// Least time between two reads of one reader while events keep coming: bounds its queries per second under
    /// load, at the price of up to this much delivery latency then.
    /// </summary>
    public TimeSpan ReadMinInterval { get; set; } = TimeSpan.FromMilliseconds(10);
    /// <summary>Events read per query.</summary>
    public int BatchSize { get; set; } = 500;
    /// <summary>Calls of a failing handler per event before the event is given up for that handler.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;
}

public sealed class ReminderOptions
{
    /// <summary>Embedded: how often each node looks for due reminders of the actor types it handles.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Embedded: how long a claimed firing belongs to the node that claimed it. If that node neither finishes nor
    /// fails it within the lease (it died, or the handler is still running), another node fires it again.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Embedded: a firing whose handler threw is retried after this long.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Embedded: most firings one node claims per poll.</summary>
    public int BatchSize { get; set; } = 100;
    /// <summary>Dapr: actorIdleTimeout in /dapr/config.</summary>
    public TimeSpan ActorIdleTimeout { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Dapr: drainOngoingCallTimeout in /dapr/config.</summary>
    public TimeSpan DrainOngoingCallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class DaprSidecarOptions
{
    public Uri HttpEndpoint { get; set; } = new("http://127.0.0.1:3500");
    /// <summary>Sent as dapr-api-token on every call to the sidecar (DAPR_API_TOKEN).</summary>
    public string? ApiToken { get; set; }
    /// <summary>Required as dapr-api-token on every call from the sidecar (APP_API_TOKEN); unset, nothing is checked.</summary>
    public string? AppApiToken { get; set; }
    /// <summary>The CloudEvent source of our events (APP_ID, which the sidecar sets for the app).</summary>
    public string AppId { get; set; } = "chat";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Entries kept for de-duplication of redelivered CloudEvents.</summary>
    public int DeduplicationCapacity { get; set; } = 100_000;

    /// <summary>DAPR_HTTP_ENDPOINT, else http://127.0.0.1:DAPR_HTTP_PORT (3500 when unset), as the Dapr SDKs resolve it.</summary>
    public static Uri SidecarEndpoint(IReadOnlyDictionary<string, string?> environment)
    {
        if (environment.TryGetValue("DAPR_HTTP_ENDPOINT", out var endpoint) && !string.IsNullOrEmpty(endpoint))
        {
            return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                ? uri
                : throw new ConfigException($"DAPR_HTTP_ENDPOINT: '{endpoint}' is not an absolute URL");
        }
        var port = 3500;
        if (environment.TryGetValue("DAPR_HTTP_PORT", out var raw) && !string.IsNullOrEmpty(raw)
            && !(int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536))
        {
            throw new ConfigException($"DAPR_HTTP_PORT: '{raw}' is not a port number");
        }
        return new Uri($"http://127.0.0.1:{port}");
    }
}
