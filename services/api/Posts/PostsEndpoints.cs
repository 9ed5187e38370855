using Chat.Api.Authorization;
using Chat.Api.Statuses;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Posts;

public static class PostsEndpoints
{
    public static void MapPosts(this RouteGroupBuilder api)
    {
        var posts = api.MapGroup("/posts").RequireAuthorization();
        posts.MapPost("/", CreateAsync);
        posts.MapGet("/{postId}", GetAsync);
        posts.MapPut("/{postId}/patch", PatchAsync);
        posts.MapDelete("/{postId}", DeleteAsync);

        api.MapGet("/channels/{channelId}/posts", GetForChannelAsync).RequireAuthorization();
        api.MapPost("/teams/{teamId}/posts/search", SearchAsync).RequireAuthorization();
    }

    private static async Task<Created<Post>> CreateAsync(
        CreatePostRequest? body, [FromQuery(Name = "set_online")] string? setOnline, Session session, PostService service, StatusService statuses)
    {
        var post = await service.CreateAsync(Input.Body(body), session);
        // As in Mattermost, posting marks the author online unless the client asks not to (set_online=false, as Go
        // reads a bool); once the post is stored, so the status write never holds up or fails the post.
        if (setOnline is not ("0" or "f" or "F" or "false" or "FALSE" or "False"))
        {
            await statuses.ActiveAsync(session.UserId);
        }
        return TypedResults.Created($"/api/v4/posts/{post.Id}", post);
    }

    private static async Task<Ok<Post>> GetAsync(string postId, Session session, PostService service) =>
        TypedResults.Ok(await service.GetAsync(Input.Id(postId, "post_id"), session));

    private static async Task<Ok<Post>> PatchAsync(string postId, PatchPostRequest? body, Session session, PostService service) =>
        TypedResults.Ok(await service.PatchAsync(Input.Id(postId, "post_id"), Input.Body(body), session));

    private static async Task<Ok<StatusOk>> DeleteAsync(string postId, Session session, PostService service)
    {
        await service.DeleteAsync(Input.Id(postId, "post_id"), session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<PostList>> GetForChannelAsync(
        string channelId, int? page, [FromQuery(Name = "per_page")] int? perPage, long? since, string? before, string? after,
        [FromQuery(Name = "include_deleted")] string? includeDeleted, Session session, PostService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        if (since is < 0)
        {
            throw AppErrorException.InvalidParam("since");
        }
        var query = new ChannelPostsQuery(p, pp, since is > 0 ? since : null, before, after, Input.Flag(includeDeleted));
        return TypedResults.Ok(await service.GetForChannelAsync(Input.Id(channelId, "channel_id"), query, session));
    }

    private static async Task<Ok<PostList>> SearchAsync(string teamId, SearchPostsRequest? body, Session session, PostSearchService service) =>
        TypedResults.Ok(await service.SearchAsync(Input.Id(teamId, "team_id"), Input.Body(body), session));
}
