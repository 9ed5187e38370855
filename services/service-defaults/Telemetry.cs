using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Chat.ServiceDefaults;

/// <summary>
/// OpenTelemetry without the instrumentation packages (not obtainable here): the SDK listens to the
/// ActivitySources and Meters that ASP.NET Core, HttpClient and Npgsql already publish.
/// </summary>
public static class Telemetry
{
    /// <summary>The source for our own spans (outbox, pub/sub, WebSocket delivery).</summary>
    public static readonly ActivitySource Source = new("Chat");

    internal static void AddTelemetry(this WebApplicationBuilder builder, NodeInfo node)
    {
        // The OTLP exporter reads the standard OTEL_EXPORTER_OTLP_* variables; without an endpoint nothing is exported,
        // and then no provider listens either: a listener makes every request and every SQL command build a span
        // (with its tags) only to drop it. The request id (the request's trace id) and the traceparent carried by
        // events still come from ASP.NET Core's own request activity.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            return;
        }
        var resource = ResourceBuilder.CreateDefault()
            .AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? $"chat-{node.Service}", serviceVersion: node.Version, serviceInstanceId: node.Hostname);
        var tracerProvider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(Source.Name, "Microsoft.AspNetCore", "System.Net.Http", "Npgsql")
            .AddOtlpExporter()
            .Build();
        var meterProvider = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(Source.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "Npgsql")
            .AddOtlpExporter()
            .Build();
        // Registered as singletons so the host flushes and disposes them at shutdown.
        builder.Services.AddSingleton(tracerProvider);
        builder.Services.AddSingleton(meterProvider);
    }
}
