using System.Text.Json;
using Chat.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.ServiceDefaults;

/// <summary>What every service shares: configuration, Kestrel limits, JSON logs, telemetry, health and errors.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Mattermost's wire format: snake_case fields.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    /// <summary>
    /// Loads and validates the configuration (with <paramref name="requiresDatabase"/>, also that a database is set);
    /// an invalid one stops the process with a message naming the setting.
    /// </summary>
    public static ChatConfig AddServiceDefaults(this WebApplicationBuilder builder, string service, bool requiresDatabase = true)
    {
        ChatConfig config;
        try
        {
            config = ConfigLoader.LoadFromProcess();
            if (requiresDatabase)
            {
                ConfigValidator.RequireDatabase(config);
            }
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"Invalid configuration: {e.Message}");
            Environment.Exit(78); // EX_CONFIG
            throw;
        }
        return builder.AddServiceDefaults(service, config);
    }

    /// <summary>The same with a configuration already loaded (a test building a service in-process passes its own).</summary>
    public static ChatConfig AddServiceDefaults(this WebApplicationBuilder builder, string service, ChatConfig config)
    {
        builder.Services.AddSingleton(config);
        var node = new NodeInfo(service, config);
        builder.Services.AddSingleton(node);

        var listen = ListenAddress.TryParse(config.ServiceSettings.ListenAddress, out var address) ? address : default;
        builder.WebHost.UseUrls(listen.ToUrl());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = config.ServiceSettings.MaximumPayloadSizeBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });

        // Settings come from ChatConfig (config.json and MM_ variables), not appsettings files: dropping those sources
        // also drops their file watchers, which otherwise wake on every write under the working directory.
        foreach (var source in builder.Configuration.Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>().ToList())
        {
            builder.Configuration.Sources.Remove(source);
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Authentication pulls in Data Protection, which we never use for anything durable.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonOptions.PropertyNamingPolicy;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            NulFreeJson.AddTo(o.SerializerOptions.Converters);
        });
        // Binding failures throw, so the error middleware can answer them with an AppError.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddHealthChecks();
        builder.AddTelemetry(node);
        return config;
    }

    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        var node = app.Services.GetRequiredService<NodeInfo>();
        app.UseForwardedHeaders(ForwardedHeadersFor(app.Services.GetRequiredService<ChatConfig>().ServiceSettings));
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["X-Request-Id"] = ErrorHandlingMiddleware.RequestId(context);
                context.Response.Headers["X-Version-Id"] = node.VersionHeader;
                context.Response.Headers["X-Cluster-Id"] = node.Hostname;
                // Nothing this server answers is meant to be sniffed into another type, framed by another site, or
                // to leak its URL (which may hold ids) to the next site.
                context.Response.Headers.XContentTypeOptions = "nosniff";
                context.Response.Headers.XFrameOptions = "SAMEORIGIN";
                context.Response.Headers["Content-Security-Policy"] = "frame-ancestors 'self'";
                context.Response.Headers["Referrer-Policy"] = "no-referrer";
                // Mattermost's clients parse a body as JSON only when the type is exactly application/json.
                if (context.Response.ContentType == "application/json; charset=utf-8")
                {
                    context.Response.ContentType = "application/json";
                }
                return Task.CompletedTask;
            });
            return next(context);
        });
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<OversizedBodyMiddleware>();
        // Unknown routes and wrong methods answer with an AppError rather than an empty body.
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var (id, message) = context.Response.StatusCode switch
            {
                404 => ("api.context.404.app_error", "Sorry, we could not find the page."),
                405 => ("api.context.method_not_allowed.app_error", "The method is not allowed for this resource."),
                // Minimal APIs answer an over-limit body with a bare 413 instead of throwing to the error middleware.
                413 => ("api.context.request_body_too_large.app_error", "The request body is too large."),
                415 => ("api.context.unsupported_media_type.app_error", "The request body must be JSON."),
                var code => ($"api.context.http_{code}.app_error", "The request could not be served."),
            };
            await ErrorHandlingMiddleware.WriteAsync(context, context.Response.StatusCode, id, message, "");
        });
        return app;
    }

    /// <summary>
    /// The client's address (per-address limits, logs) is the last X-Forwarded-For hop, taken only from a proxy in
    /// ServiceSettings.TrustedProxies: the edge appends the address it saw, so earlier hops are the client's own claims.
    /// </summary>
    private static ForwardedHeadersOptions ForwardedHeadersFor(ServiceSettings settings)
    {
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        if (TrustedNetworks.TryParse(settings.TrustedProxies, out var networks))
        {
            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(network);
            }
        }
        return options;
    }

    /// <summary>/healthz: the process is alive. /readyz: it can serve (its dependencies answer).</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }
}
