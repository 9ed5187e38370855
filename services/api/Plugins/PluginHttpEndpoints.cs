using Chat.Plugins.Hosting;
using Chat.Plugins.Sdk;
using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.Api.Plugins;

/// <summary>
/// <c>/plugins/{id}/…</c>: any method, served by the plugin's ServeHTTP on this node. The caller is authenticated as
/// for the REST API and named to the plugin in <c>Mattermost-User-Id</c> (a client's own such header is dropped, as
/// are its credentials: Authorization, cookies). Errors of our own are AppErrors: 404 for a plugin that is not running
/// here, 504 when it does not answer within the hook timeout, 503 when it failed to answer.
/// </summary>
public static class PluginHttpEndpoints
{
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "cookie", PluginHttpRequest.UserIdHeader,
    };

    private static readonly HashSet<string> NotReturned = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "x-request-id", "x-version-id",
    };

    public static IEndpointRouteBuilder MapPluginHttp(this IEndpointRouteBuilder app)
    {
        app.Map("/plugins/{pluginId}", (HttpContext http, string pluginId, PluginHooks hooks) => ServeAsync(http, pluginId, "", hooks));
        app.Map("/plugins/{pluginId}/{**path}", (HttpContext http, string pluginId, string? path, PluginHooks hooks) => ServeAsync(http, pluginId, path ?? "", hooks));
        return app;
    }

    private static async Task ServeAsync(HttpContext http, string pluginId, string path, PluginHooks hooks)
    {
        var session = http.Features.Get<Session>();
        var headers = http.Request.Headers
            .Where(h => !NotForwarded.Contains(h.Key))
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.Ordinal);
        if (session is not null)
        {
            headers[PluginHttpRequest.UserIdHeader.ToLowerInvariant()] = [session.UserId];
        }
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        var request = new PluginHttpRequest
        {
            Method = http.Request.Method,
            Path = "/" + path,
            QueryString = http.Request.QueryString.Value ?? "",
            Headers = headers,
            Body = body.ToArray(),
        };
        var context = new PluginContext { SessionId = session?.Id ?? "", RequestId = ErrorHandlingMiddleware.RequestId(http) };
        PluginHttpResponse? response;
        try
        {
            response = await hooks.ServeHttpAsync(pluginId, context, request, http.RequestAborted);
        }
        catch (TimeoutException)
        {
            throw new AppErrorException(504, "app.plugin.http.timeout.app_error", "The plugin did not answer in time.");
        }
        catch (PluginApiException e)
        {
            throw new AppErrorException(503, "app.plugin.http.failed.app_error", "The plugin failed to answer the request.", e.Message);
        }
        if (response is null)
        {
            throw new AppErrorException(404, "app.plugin.not_found.app_error", "The plugin is not running on this server or serves no HTTP.");
        }
        http.Response.StatusCode = response.StatusCode is >= 200 and <= 599 ? response.StatusCode : 502;
        foreach (var (name, values) in response.Headers ?? [])
        {
            if (!NotReturned.Contains(name))
            {
                http.Response.Headers[name] = values;
            }
        }
        if (response.Body is { Length: > 0 } bytes)
        {
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        }
    }
}
