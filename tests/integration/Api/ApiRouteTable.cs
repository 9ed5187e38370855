using Chat.Api;
using Chat.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chat.IntegrationTests;

/// <summary>
/// The api's real route table, read from an api built in-process and never started, and the route that serves a
/// given request, found by ASP.NET's own matcher (so literal segments, constraints and methods decide as they do live).
/// </summary>
internal sealed class ApiRouteTable : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly RequestDelegate match;

    private ApiRouteTable(WebApplication app, RequestDelegate match)
    {
        this.app = app;
        this.match = match;
        Routes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().ToList();
    }

    public IReadOnlyList<RouteEndpoint> Routes { get; }

    /// <summary>The routes of an api with the default settings (the permission matrix's cluster runs those too).</summary>
    public static ApiRouteTable Build()
    {
        var config = new ChatConfig();
        // Never connected to: building the api only needs a well-formed connection string.
        config.SqlSettings.DataSource = "Host=127.0.0.1;Database=route-table";
        var app = ApiHost.Build([], config);
        app.UseApi();

        var pipeline = new ApplicationBuilder(app.Services);
        pipeline.UseRouting();
        pipeline.Use(_ => context =>
        {
            context.Items[typeof(ApiRouteTable)] = context.GetEndpoint();
            return Task.CompletedTask;
        });
        pipeline.UseEndpoints(endpoints =>
        {
            foreach (var source in ((IEndpointRouteBuilder)app).DataSources)
            {
                endpoints.DataSources.Add(source);
            }
        });
        return new ApiRouteTable(app, pipeline.Build());
    }

    public async Task<RouteEndpoint?> MatchAsync(HttpMethod method, string pathAndQuery)
    {
        var path = pathAndQuery.Split('?', 2)[0];
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = method.Method;
        context.Request.Path = PathString.FromUriComponent(path);
        await match(context);
        return context.Items[typeof(ApiRouteTable)] as RouteEndpoint;
    }

    public static string Describe(RouteEndpoint route)
    {
        var methods = route.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
        return $"{(methods is { Count: > 0 } ? string.Join(",", methods) : "ANY")} {route.RoutePattern.RawText}";
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
