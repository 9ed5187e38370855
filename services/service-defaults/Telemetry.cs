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
        var resource = ResourceBuilder.CreateDefault()
            .AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? $"chat-{node.Service}", serviceVersion: node.Version, serviceInstanceId: node.Hostname);
        // The OTLP exporter reads the standard OTEL_EXPORTER_OTLP_* variables; without an endpoint nothing is exported.
        var export = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));

        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(Source.Name, "Microsoft.AspNetCore", "System.Net.Http", "Npgsql");
        var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(Source.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "Npgsql");
        if (export)
        {
            tracing.AddOtlpExporter();
            metrics.AddOtlpExporter();
        }
        var tracerProvider = tracing.Build();
        var meterProvider = metrics.Build();
        // Registered as singletons so the host flushes and disposes them at shutdown.
        builder.Services.AddSingleton(tracerProvider);
        builder.Services.AddSingleton(meterProvider);
    }
}
