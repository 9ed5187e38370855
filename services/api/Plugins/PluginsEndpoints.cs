using System.Text.Json.Nodes;
using Chat.Api.Authorization;
using Chat.Configuration;
using Chat.Plugins.Bundles;
using Chat.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Chat.Api.Plugins;

public static class PluginsEndpoints
{
    /// <summary>Room for the multipart framing and the force field around a bundle of FileSettings.MaxFileSize.</summary>
    private const long MultipartOverhead = 64 * 1024;

    public static void MapPlugins(this RouteGroupBuilder api)
    {
        var config = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<LiveConfig>();
        // Mattermost's order: a malformed id first, then whether plugins (or uploads) are on, then permissions.
        var plugins = api.MapGroup("/plugins").AddEndpointFilter(RequireAvailable).RequireSystemAdmin();
        plugins.MapPost("/", UploadAsync).WithMetadata(new UploadSizeLimit(config));
        plugins.MapGet("/", ListAsync);
        plugins.MapGet("/statuses", StatusesAsync);
        plugins.MapPost("/{pluginId}/enable", EnableAsync);
        plugins.MapPost("/{pluginId}/disable", DisableAsync);
        plugins.MapDelete("/{pluginId}", RemoveAsync);
    }

    /// <summary>
    /// Mattermost's upload: multipart/form-data with the bundle in the field "plugin" and an optional field
    /// "force" ("true" replaces an installed plugin of the same id). Answers 201 with the manifest.
    /// </summary>
    private static async Task<Created<JsonObject>> UploadAsync(HttpContext context, PluginService service, LiveConfig config)
    {
        var (received, force) = await ReadFormAsync(context, service.Storage, config.Current.FileSettings.MaxFileSize);
        var manifest = await service.InstallAsync(received, force, context.RequestAborted);
        return TypedResults.Created($"/api/v4/plugins/{manifest["id"]}", manifest);
    }

    private static async Task<Ok<PluginsResponse>> ListAsync(PluginService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.ListAsync(cancellationToken));

    private static async Task<Ok<IReadOnlyList<PluginStatusResponse>>> StatusesAsync(PluginService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.StatusesAsync(cancellationToken));

    private static async Task<Ok<StatusOk>> EnableAsync(string pluginId, PluginService service)
    {
        await service.EnableAsync(pluginId);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<StatusOk>> DisableAsync(string pluginId, PluginService service)
    {
        await service.DisableAsync(pluginId);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<StatusOk>> RemoveAsync(string pluginId, PluginService service)
    {
        await service.RemoveAsync(pluginId);
        return TypedResults.Ok(StatusOk.Instance);
    }

    /// <summary>A well-formed plugin id in the URL, and plugins turned on (and uploads, on the route with <see cref="UploadSizeLimit"/>).</summary>
    private static ValueTask<object?> RequireAvailable(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (context.GetRouteValue("pluginId") is string pluginId && !BundleManifest.IsValidId(pluginId))
        {
            throw new AppErrorException(400, "api.context.invalid_url_param.app_error", "Invalid or missing plugin_id parameter in request URL.");
        }
        var service = context.RequestServices.GetRequiredService<PluginService>();
        if (context.GetEndpoint()?.Metadata.GetMetadata<UploadSizeLimit>() is null)
        {
            service.DemandPluginsEnabled();
        }
        else
        {
            service.DemandUploadsEnabled();
        }
        return next(invocation);
    }

    /// <summary>
    /// Streams the form: the "plugin" file goes straight to the shared storage under a temporary name (at most
    /// <paramref name="maxBytes"/>), "force" is read, anything else is skipped.
    /// </summary>
    private static async Task<(string Received, bool Force)> ReadFormAsync(HttpContext context, BundleStorage storage, long maxBytes)
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw AppErrorException.BadRequest("api.plugin.upload.no_file.app_error",
                "The request must be multipart/form-data with the plugin bundle (.tar.gz) in the field 'plugin'.");
        }
        string? received = null;
        var force = false;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body)
            {
                HeadersCountLimit = 16,
                HeadersLengthLimit = 16 * 1024,
                // The bundle's own limit is checked while receiving it, with its own error.
                BodyLengthLimit = maxBytes + MultipartOverhead,
            };
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name == "plugin" && received is null)
                {
                    received = await storage.ReceiveAsync(section.Body, maxBytes, context.RequestAborted);
                }
                else if (name == "force")
                {
                    using var value = new StreamReader(section.Body);
                    var buffer = new char[16];
                    var length = await value.ReadBlockAsync(buffer, context.RequestAborted);
                    force = new string(buffer, 0, length) == "true";
                }
            }
        }
        catch (Exception e) when ((e is IOException or InvalidDataException) && e is not BadHttpRequestException)
        {
            DeleteQuietly(received);
            throw AppErrorException.BadRequest("api.plugin.upload.file.app_error", "The multipart/form-data body could not be read.", e.Message);
        }
        catch (BundleException e)
        {
            DeleteQuietly(received);
            throw new AppErrorException(e.StatusCode, e.ErrorId, e.Message);
        }
        catch
        {
            DeleteQuietly(received);
            throw;
        }
        return (received ?? throw AppErrorException.BadRequest("api.plugin.upload.no_file.app_error",
            "No plugin bundle in the request: send it as the multipart/form-data field 'plugin'."), force);
    }

    private static void DeleteQuietly(string? path)
    {
        if (path is not null)
        {
            File.Delete(path);
        }
    }

    /// <summary>Bundles are far larger than API bodies: this endpoint's limit is FileSettings.MaxFileSize, read live.</summary>
    private sealed class UploadSizeLimit(LiveConfig config) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => config.Current.FileSettings.MaxFileSize + MultipartOverhead;
    }
}
