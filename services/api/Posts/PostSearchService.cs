using Chat.Api.Authorization;
using Chat.Api.Files;
using Chat.Api.Reactions;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Posts;

/// <summary>Search over the posts of a team's channels the caller belongs to, with the full-text index.</summary>
public sealed class PostSearchService(PostSearchStore search, TeamStore teams, PostReactionMetadata reactionMetadata, PostFiles postFiles)
{
    public async Task<PostList> SearchAsync(string teamId, SearchPostsRequest request, Session caller)
    {
        _ = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        Access.Demand(caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.ViewTeam));
        var query = SearchTerms.Parse(request.Terms, request.IsOrSearch ?? false, request.TimeZoneOffset ?? 0);
        var (page, perPage) = Input.Paging(request.Page, request.PerPage);
        if ((long)page * perPage + perPage > SearchTerms.MaxResultWindow)
        {
            throw AppErrorException.BadRequest("api.post.search_posts.invalid_page.app_error", $"A search pages through at most {SearchTerms.MaxResultWindow} results; narrow it down.");
        }
        return await reactionMetadata.AddToAsync(await postFiles.WithFilesAsync(await search.SearchAsync(teamId, caller.UserId, query, page, perPage)));
    }
}
