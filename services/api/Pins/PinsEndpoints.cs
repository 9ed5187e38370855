using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Pins;

public static class PinsEndpoints
{
    public static void MapPins(this RouteGroupBuilder api)
    {
        var posts = api.MapGroup("/posts").RequireAuthorization();
        posts.MapPost("/{postId}/pin", PinAsync);
        posts.MapPost("/{postId}/unpin", UnpinAsync);

        api.MapGet("/channels/{channelId}/pinned", GetPinnedAsync).RequireAuthorization();
    }

    private static async Task<Ok<StatusOk>> PinAsync(string postId, Session session, PinService service)
    {
        await service.SetPinnedAsync(Input.Id(postId, "post_id"), pinned: true, session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<StatusOk>> UnpinAsync(string postId, Session session, PinService service)
    {
        await service.SetPinnedAsync(Input.Id(postId, "post_id"), pinned: false, session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<PostList>> GetPinnedAsync(string channelId, Session session, PinService service) =>
        TypedResults.Ok(await service.GetPinnedAsync(Input.Id(channelId, "channel_id"), session));
}
