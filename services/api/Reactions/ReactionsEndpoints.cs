using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using EmojiModel = Chat.Store.Model.Emoji;

namespace Chat.Api.Reactions;

public static class ReactionsEndpoints
{
    public static void MapReactions(this RouteGroupBuilder api)
    {
        api.MapPost("/reactions", SaveAsync).RequireAuthorization();
        api.MapGet("/posts/{postId}/reactions", GetForPostAsync).RequireAuthorization();
        api.MapPost("/posts/ids/reactions", GetForPostsAsync).RequireAuthorization();
        api.MapDelete("/users/{userId}/posts/{postId}/reactions/{emojiName}", DeleteAsync).RequireAuthorization();
    }

    /// <summary>200, not 201, as Mattermost answers.</summary>
    private static async Task<Ok<Reaction>> SaveAsync(ReactionRequest? body, Session session, ReactionService service) =>
        TypedResults.Ok(await service.SaveAsync(Input.Body(body), session));

    private static async Task<Ok<IReadOnlyList<Reaction>>> GetForPostAsync(string postId, Session session, ReactionService service) =>
        TypedResults.Ok(await service.GetForPostAsync(Input.Id(postId, "post_id"), session));

    private static async Task<Ok<IReadOnlyDictionary<string, IReadOnlyList<Reaction>>>> GetForPostsAsync(string[]? body, Session session, ReactionService service) =>
        TypedResults.Ok(await service.GetForPostsAsync(body, session));

    private static async Task<Ok<StatusOk>> DeleteAsync(string userId, string postId, string emojiName, Session session, ReactionService service)
    {
        var user = userId == "me" ? session.UserId : Input.Id(userId, "user_id");
        if (!EmojiModel.IsValidName(emojiName))
        {
            throw Chat.ServiceDefaults.AppErrorException.InvalidParam("emoji_name");
        }
        await service.DeleteAsync(user, Input.Id(postId, "post_id"), emojiName, session);
        return TypedResults.Ok(StatusOk.Instance);
    }
}
