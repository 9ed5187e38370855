using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Chat.BuildingBlocks.PubSub.Dapr;

/// <summary>
/// The CloudEvents 1.0 JSON envelope, as far as we need it. We publish our own envelope
/// (application/cloudevents+json) rather than letting the sidecar wrap the data, because only then is the
/// CloudEvent id our event id: the same event re-published (an outbox relay retry) keeps its id, and consumers can
/// de-duplicate on it.
/// </summary>
internal static class CloudEvents
{
    public const string ContentType = "application/cloudevents+json";

    public static byte[] Serialize(ClusterEvent clusterEvent, string source)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("specversion", "1.0");
            json.WriteString("id", clusterEvent.Id);
            json.WriteString("source", source);
            json.WriteString("type", clusterEvent.Type);
            json.WriteString("datacontenttype", "application/json");
            json.WriteString("time", clusterEvent.Time ?? DateTimeOffset.UtcNow);
            if (clusterEvent.TraceParent is { } traceParent)
            {
                json.WriteString("traceparent", traceParent);
            }
            json.WritePropertyName("data");
            if (clusterEvent.Data.ValueKind == JsonValueKind.Undefined)
            {
                json.WriteNullValue();
            }
            else
            {
                clusterEvent.Data.WriteTo(json);
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads a delivered CloudEvent. Anything else (not JSON, not an object, no id or type, no JSON data, a foreign
    /// spec version) is malformed: redelivering it cannot help, so the caller drops it.
    /// </summary>
    public static bool TryParse(JsonElement envelope, string topic, string? traceParentHeader, [NotNullWhen(true)] out ClusterEvent? clusterEvent, [NotNullWhen(false)] out string? problem)
    {
        clusterEvent = null;
        if (envelope.ValueKind != JsonValueKind.Object)
        {
            problem = "the body is not a JSON object";
            return false;
        }
        if (String(envelope, "specversion") is not { } version || !version.StartsWith("1.", StringComparison.Ordinal))
        {
            problem = "specversion is not 1.x";
            return false;
        }
        if (String(envelope, "id") is not { Length: > 0 and <= ClusterEvent.MaxIdLength } id)
        {
            problem = "id is missing or too long";
            return false;
        }
        if (String(envelope, "type") is not { Length: > 0 } type)
        {
            problem = "type is missing";
            return false;
        }
        if (!envelope.TryGetProperty("data", out var data))
        {
            problem = "data is missing (data_base64 and non-JSON data are not ours)";
            return false;
        }
        var contentType = String(envelope, "datacontenttype");
        if (contentType is not null && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            problem = $"datacontenttype {contentType} is not JSON";
            return false;
        }
        clusterEvent = new ClusterEvent(id, topic, type, data.Clone())
        {
            TraceParent = String(envelope, "traceparent") ?? traceParentHeader,
            Time = envelope.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String && time.TryGetDateTimeOffset(out var at) ? at : null,
        };
        problem = null;
        return true;
    }

    private static string? String(JsonElement envelope, string name) =>
        envelope.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
