using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Chat.BuildingBlocks.PubSub;

/// <summary>
/// One event on a topic. <see cref="Id"/> is the de-duplication key: delivery is at least once, so a consumer
/// can see the same id twice (a redelivery, a relay retry) and must treat the second as already handled.
/// </summary>
public sealed partial record ClusterEvent
{
    public ClusterEvent(string id, string topic, string type, JsonElement data)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength)
        {
            throw new ArgumentException($"An event id is 1 to {MaxIdLength} characters.", nameof(id));
        }
        ValidateTopic(topic);
        if (string.IsNullOrEmpty(type))
        {
            throw new ArgumentException("An event needs a type.", nameof(type));
        }
        Id = id;
        Topic = topic;
        Type = type;
        Data = data;
    }

    public const int MaxIdLength = 200;

    private readonly TimeSpan? timeToLive;

    public string Id { get; }
    public string Topic { get; }
    /// <summary>What happened, e.g. "posted"; a CloudEvent's type.</summary>
    public string Type { get; }
    public JsonElement Data { get; }
    /// <summary>W3C trace context of the publisher, so consumption continues the publisher's trace.</summary>
    public string? TraceParent { get; init; }
    /// <summary>Consumers that get the event later than this after publication never see it (typing indicators).</summary>
    public TimeSpan? TimeToLive
    {
        get => timeToLive;
        init => timeToLive = value is { } ttl && ttl <= TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(TimeToLive), "A time to live is positive.") : value;
    }
    /// <summary>When it was published; set on delivery.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>A new event with a fresh time-ordered id and the current trace context.</summary>
    public static ClusterEvent Create<T>(string topic, string type, T data, JsonSerializerOptions? options = null) =>
        new(Guid.CreateVersion7().ToString("N"), topic, type, JsonSerializer.SerializeToElement(data, options))
        {
            TraceParent = CurrentTraceParent(),
        };

    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;

    /// <summary>Topics travel in URLs (Dapr routes) and SQL; keep them to a safe alphabet.</summary>
    public static void ValidateTopic(string topic)
    {
        if (!TopicName().IsMatch(topic))
        {
            throw new ArgumentException($"'{topic}' is not a topic name (1-100 of A-Z a-z 0-9 . _ -).", nameof(topic));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex TopicName();
}

/// <summary>Handles one delivered event. Throwing asks for redelivery.</summary>
public delegate Task ClusterEventHandler(ClusterEvent clusterEvent, CancellationToken cancellationToken);
