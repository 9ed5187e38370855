using Chat.Api.Authorization;
using Chat.BuildingBlocks.PubSub;
using Chat.Store.Cluster;
using Chat.Store.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Database;

public static class DatabaseEndpoints
{
    public static void MapDatabase(this RouteGroupBuilder api)
    {
        var database = api.MapGroup("/database").RequireSystemAdmin();
        database.MapPost("/recycle", RecycleAsync);
        // Not a Mattermost route: which pool serves reads, and whether each replica is in use.
        database.MapGet("/routing", Routing);
    }

    /// <summary>Every node of every service closes its idle connections and rebuilds its replica pools.</summary>
    private static async Task<Ok<StatusOk>> RecycleAsync(DatabaseRouter router, IEventBus bus)
    {
        router.Recycle();
        await Config.ConfigService.PublishAsync(bus, ClusterOperations.RecycleEvent());
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static Ok<DatabaseRoutingStatus> Routing(DatabaseRouter router) => TypedResults.Ok(router.Status());
}

/// <summary>
/// Read-your-writes for <see cref="DatabaseRouter"/>: a request that changes something reads only from the primary,
/// and so do the caller's reads for a short while after it (<see cref="ReadRouting"/>).
/// </summary>
public sealed class ReadRoutingFilter(ReadRouting routing) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var reads = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        var session = context.Features.Get<Chat.Store.Model.Session>();
        ReadRouting.PrimaryOnly = !reads || (session is not null && routing.WroteRecently(session.UserId));
        try
        {
            return await next(invocation);
        }
        finally
        {
            if (!reads && (session ?? context.Features.Get<Chat.Store.Model.Session>()) is { } writer)
            {
                routing.RecordWrite(writer.UserId);
            }
        }
    }
}
