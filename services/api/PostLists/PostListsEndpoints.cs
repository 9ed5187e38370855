using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.PostLists;

public static class PostListsEndpoints
{
    public static void MapPostLists(this RouteGroupBuilder api)
    {
        var posts = api.MapGroup("/posts").RequireAuthorization();
        posts.MapPost("/ids", GetByIdsAsync);
        posts.MapGet("/{postId}/edit_history", GetEditHistoryAsync);

        api.MapGet("/users/{userId}/posts/flagged", GetFlaggedAsync).RequireAuthorization();
    }

    private static async Task<Ok<IReadOnlyList<Post>>> GetByIdsAsync(string[]? body, Session session, PostListService service) =>
        TypedResults.Ok(await service.GetByIdsAsync(Input.Body(body), session));

    private static async Task<Ok<IReadOnlyList<Post>>> GetEditHistoryAsync(string postId, Session session, PostListService service) =>
        TypedResults.Ok(await service.GetEditHistoryAsync(Input.Id(postId, "post_id"), session));

    /// <summary>channel_id or team_id narrow the list (channel_id wins); empty values mean neither, as the client sends them.</summary>
    private static async Task<Ok<PostList>> GetFlaggedAsync(
        string userId, [FromQuery(Name = "channel_id")] string? channelId, [FromQuery(Name = "team_id")] string? teamId,
        int? page, [FromQuery(Name = "per_page")] int? perPage, Session session, PostListService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        var channel = string.IsNullOrEmpty(channelId) ? null : Input.Id(channelId, "channel_id");
        var team = channel is not null || string.IsNullOrEmpty(teamId) ? null : Input.Id(teamId, "team_id");
        var user = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        return TypedResults.Ok(await service.GetFlaggedAsync(user, channel, team, p, pp, session));
    }
}
