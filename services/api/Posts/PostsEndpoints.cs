using Chat.Api.Authorization;
using Chat.Api.Statuses;
using Chat.Api.Threads;
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
        api.MapGet("/users/{userId}/channels/{channelId}/posts/unread", GetUnreadAsync).RequireAuthorization();
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
        [FromQuery(Name = "include_deleted")] string? includeDeleted, bool? skipFetchThreads, bool? collapsedThreads, bool? collapsedThreadsExtended,
        Session session, PostService service, ThreadService threads)
    {
        var (p, pp) = Input.Paging(page, perPage);
        if (since is < 0)
        {
            throw AppErrorException.InvalidParam("since");
        }
        var options = new ThreadOptions(skipFetchThreads == true, collapsedThreads == true, collapsedThreadsExtended == true);
        // Posts changed since a time are all sent, replies too: a collapsed client learns of new replies from them.
        var query = new ChannelPostsQuery(p, pp, since is > 0 ? since : null, before, after, Input.Flag(includeDeleted), options.CollapsedThreads && since is not > 0);
        var list = await service.GetForChannelAsync(Input.Id(channelId, "channel_id"), query, session);
        return TypedResults.Ok(await threads.DecorateAsync(list, options with { CollapsedThreads = query.RootsOnly }, session));
    }

    /// <summary>Mattermost caps both limits of the unread window at 200; limit_after counts the first unread post.</summary>
    private static async Task<Ok<PostList>> GetUnreadAsync(
        string userId, string channelId, [FromQuery(Name = "limit_before")] int? limitBefore, [FromQuery(Name = "limit_after")] int? limitAfter,
        bool? skipFetchThreads, bool? collapsedThreads, bool? collapsedThreadsExtended,
        Session session, PostService service, ThreadService threads)
    {
        if (limitBefore is < 0 or > Input.MaxPerPage)
        {
            throw AppErrorException.InvalidParam("limit_before");
        }
        if (limitAfter is < 1 or > Input.MaxPerPage)
        {
            throw AppErrorException.InvalidParam("limit_after");
        }
        var options = new ThreadOptions(skipFetchThreads == true, collapsedThreads == true, collapsedThreadsExtended == true);
        var user = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        var list = await service.GetAroundLastUnreadAsync(user, Input.Id(channelId, "channel_id"), limitBefore ?? Input.DefaultPerPage, limitAfter ?? Input.DefaultPerPage, options.CollapsedThreads, session);
        return TypedResults.Ok(await threads.DecorateAsync(list, options, session));
    }

    private static async Task<Ok<PostList>> SearchAsync(string teamId, SearchPostsRequest? body, Session session, PostSearchService service) =>
        TypedResults.Ok(await service.SearchAsync(Input.Id(teamId, "team_id"), Input.Body(body), session));
}
