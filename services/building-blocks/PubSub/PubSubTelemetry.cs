using System.Diagnostics;
using Chat.ServiceDefaults;

namespace Chat.BuildingBlocks.PubSub;

/// <summary>Spans for publishing and consuming, so one trace runs from the publishing request to every consumer.</summary>
internal static class PubSubTelemetry
{
    /// <param name="traceParent">The event's trace context, when publishing on behalf of an earlier request (the outbox relay).</param>
    public static Activity? StartPublish(string system, int count, string? topic, string? traceParent = null)
    {
        ActivityContext.TryParse(traceParent, null, out var parent);
        var activity = Telemetry.Source.StartActivity(topic is null ? "publish" : $"publish {topic}", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.system", system);
        activity?.SetTag("messaging.batch.message_count", count);
        return activity;
    }

    /// <summary>A consumer span that continues the publisher's trace.</summary>
    public static Activity? StartConsume(ClusterEvent clusterEvent)
    {
        ActivityContext.TryParse(clusterEvent.TraceParent, null, out var parent);
        var activity = Telemetry.Source.StartActivity($"consume {clusterEvent.Topic}", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.destination.name", clusterEvent.Topic);
        activity?.SetTag("messaging.message.id", clusterEvent.Id);
        activity?.SetTag("cloudevents.event_type", clusterEvent.Type);
        return activity;
    }
}
