using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Chat.ServiceDefaults;

/// <summary>OpenTelemetry the standard way: the hosting extensions, the ASP.NET Core, HttpClient and Npgsql instrumentation, OTLP export.</summary>
public static class Telemetry
{
    /// <summary>The source for our own spans (outbox, pub/sub, WebSocket delivery).</summary>
    public static readonly ActivitySource Source = new("Chat");

    internal static void AddTelemetry(this WebApplicationBuilder builder, NodeInfo node)
    {
        // Without an endpoint nothing is exported, and then nothing listens either: a listener makes every request and
        // every SQL command build a span (with its tags) only to drop it. The request id (the request's trace id) and
        // the traceparent carried by events still come from ASP.NET Core's own request activity.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            return;
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? $"chat-{node.Service}", serviceVersion: node.Version, serviceInstanceId: node.Hostname))
            .WithTracing(tracing => tracing
                .AddSource(Source.Name)
                // Server spans are named by route ("POST api/v4/posts") and carry http.route.
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(Source.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation())
            // Endpoint, protocol, headers and timeouts from the standard OTEL_EXPORTER_OTLP_* variables.
            .UseOtlpExporter();
    }
}
