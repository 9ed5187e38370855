using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Threads;

public static class ThreadsEndpoints
{
    /// <summary>Mattermost's default page of followed threads.</summary>
    private const int DefaultThreadsPerPage = 30;

    public static void MapThreads(this RouteGroupBuilder api)
    {
        api.MapGet("/posts/{postId}/thread", GetPostThreadAsync).RequireAuthorization();

        var threads = api.MapGroup("/users/{userId}/teams/{teamId}/threads").RequireAuthorization();
        threads.MapGet("/", GetThreadsAsync);
        threads.MapPut("/read", MarkAllReadAsync);
        threads.MapGet("/{threadId}", GetThreadAsync);
        threads.MapPut("/{threadId}/read/{timestamp}", SetReadAsync);
        threads.MapPut("/{threadId}/following", (string userId, string teamId, string threadId, Session session, ThreadService service) =>
            SetFollowingAsync(userId, teamId, threadId, true, session, service));
        threads.MapDelete("/{threadId}/following", (string userId, string teamId, string threadId, Session session, ThreadService service) =>
            SetFollowingAsync(userId, teamId, threadId, false, session, service));
    }

    private static async Task<Ok<PostList>> GetPostThreadAsync(
        string postId, int? perPage, string? fromPost, long? fromCreateAt, long? fromUpdateAt, string? direction,
        bool? skipFetchThreads, bool? collapsedThreads, bool? collapsedThreadsExtended, bool? updatesOnly,
        Session session, ThreadService service)
    {
        if (perPage is < 0 or > ThreadService.MaxThreadPostsPerPage)
        {
            throw AppErrorException.InvalidParam("perPage");
        }
        if (fromCreateAt is < 0)
        {
            throw AppErrorException.InvalidParam("fromCreateAt");
        }
        if (fromUpdateAt is < 0)
        {
            throw AppErrorException.InvalidParam("fromUpdateAt");
        }
        if (direction is not (null or "" or "up" or "down"))
        {
            throw AppErrorException.InvalidParam("direction");
        }
        // As Mattermost: updates are read forwards from an update time, never by creation time.
        if (updatesOnly == true && (fromCreateAt is > 0 || direction == "up"))
        {
            throw AppErrorException.InvalidParam("updatesOnly");
        }
        var query = new ThreadPostsQuery(
            perPage ?? 0,
            string.IsNullOrEmpty(fromPost) ? "" : Input.Id(fromPost, "fromPost"),
            fromCreateAt ?? 0,
            fromUpdateAt ?? 0,
            direction ?? "",
            updatesOnly == true);
        var options = new ThreadOptions(skipFetchThreads == true, collapsedThreads == true, collapsedThreadsExtended == true);
        return TypedResults.Ok(await service.GetPostThreadAsync(Input.Id(postId, "post_id"), query, options, session));
    }

    private static async Task<Ok<UserThreadList>> GetThreadsAsync(
        string userId, string teamId, string? before, string? after, [FromQuery(Name = "per_page")] int? perPage,
        bool? extended, bool? deleted, bool? unread, long? since, bool? totalsOnly, bool? threadsOnly,
        Session session, ThreadService service)
    {
        if (perPage is < 1 or > ThreadService.MaxThreadsPerPage)
        {
            throw AppErrorException.InvalidParam("per_page");
        }
        if (since is < 0)
        {
            throw AppErrorException.InvalidParam("since");
        }
        if (totalsOnly == true && threadsOnly == true)
        {
            throw AppErrorException.BadRequest("api.getThreadsForUser.bad_only_params", "totalsOnly and threadsOnly cannot both be set.");
        }
        var query = new UserThreadsQuery(
            string.IsNullOrEmpty(before) ? "" : Input.Id(before, "before"),
            string.IsNullOrEmpty(after) ? "" : Input.Id(after, "after"),
            perPage ?? DefaultThreadsPerPage,
            unread == true,
            deleted == true,
            since ?? 0,
            extended == true,
            totalsOnly == true,
            threadsOnly == true);
        return TypedResults.Ok(await service.GetThreadsAsync(UserId(userId, session), Input.Id(teamId, "team_id"), query, session));
    }

    private static async Task<Ok<UserThread>> GetThreadAsync(string userId, string teamId, string threadId, bool? extended, Session session, ThreadService service) =>
        TypedResults.Ok(await service.GetThreadAsync(UserId(userId, session), Input.Id(teamId, "team_id"), Input.Id(threadId, "thread_id"), extended == true, session));

    private static async Task<Ok<UserThread>> SetReadAsync(string userId, string teamId, string threadId, string timestamp, Session session, ThreadService service)
    {
        if (!long.TryParse(timestamp, out var at) || at < 0)
        {
            throw AppErrorException.InvalidParam("timestamp");
        }
        return TypedResults.Ok(await service.SetReadAsync(UserId(userId, session), Input.Id(teamId, "team_id"), Input.Id(threadId, "thread_id"), at, session));
    }

    private static async Task<Ok<StatusOk>> SetFollowingAsync(string userId, string teamId, string threadId, bool following, Session session, ThreadService service)
    {
        await service.SetFollowingAsync(UserId(userId, session), Input.Id(teamId, "team_id"), Input.Id(threadId, "thread_id"), following, session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<StatusOk>> MarkAllReadAsync(string userId, string teamId, Session session, ThreadService service)
    {
        await service.MarkAllReadAsync(UserId(userId, session), Input.Id(teamId, "team_id"), session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static string UserId(string userId, Session session) => userId == "me" ? session.UserId : Input.Id(userId, "user_id");
}
