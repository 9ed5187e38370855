using Chat.Api.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Cluster;

public static class ClusterEndpoints
{
    public static void MapCluster(this RouteGroupBuilder api)
    {
        api.MapGroup("/cluster").RequireSystemAdmin().MapGet("/status", GetStatusAsync);
    }

    private static async Task<Ok<IReadOnlyList<ClusterNodeStatus>>> GetStatusAsync(ClusterService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.GetStatusAsync(cancellationToken));

    /// <summary>
    /// The System Console's High Availability view at /admin/cluster: a static page whose script signs an admin in
    /// and polls the endpoint above. Served by every api node, so the edge's default route reaches it.
    /// </summary>
    public static IEndpointRouteBuilder MapClusterAdminPage(this IEndpointRouteBuilder app)
    {
        MapAsset(app, "/admin/cluster", "cluster.html", "text/html; charset=utf-8");
        MapAsset(app, "/admin/cluster.js", "cluster.js", "text/javascript; charset=utf-8");
        MapAsset(app, "/admin/cluster.css", "cluster.css", "text/css; charset=utf-8");
        return app;
    }

    private static void MapAsset(IEndpointRouteBuilder app, string path, string file, string contentType)
    {
        using var stream = typeof(ClusterEndpoints).Assembly.GetManifestResourceStream($"Chat.Api.Cluster.Admin.{file}")
            ?? throw new InvalidOperationException($"The admin page's {file} is not embedded in Chat.Api.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        app.MapGet(path, (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            // Everything the page loads comes from this origin; nothing may frame it.
            headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
            headers.XFrameOptions = "DENY";
            headers["X-Content-Type-Options"] = "nosniff";
            headers.CacheControl = "no-cache";
            return Results.Bytes(bytes, contentType);
        });
    }
}
