using Chat.Api.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using EmojiModel = Chat.Store.Model.Emoji;

namespace Chat.Api.Emoji;

public static class EmojiEndpoints
{
    public static void MapEmoji(this RouteGroupBuilder api)
    {
        var emoji = api.MapGroup("/emoji").RequireAuthorization();
        emoji.MapGet("/", GetPageAsync);
        emoji.MapPost("/names", GetByNamesAsync);
        emoji.MapGet("/autocomplete", AutocompleteAsync);
        emoji.MapPost("/search", SearchAsync);
        emoji.MapGet("/name/{emojiName}", GetByNameAsync);
        emoji.MapGet("/{emojiId}", GetAsync);
    }

    private static async Task<Ok<IReadOnlyList<EmojiModel>>> GetPageAsync(
        int? page, [FromQuery(Name = "per_page")] int? perPage, string? sort, EmojiService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.GetPageAsync(p, pp, sort));
    }

    private static async Task<Ok<EmojiModel>> GetAsync(string emojiId, EmojiService service) =>
        TypedResults.Ok(await service.GetAsync(Input.Id(emojiId, "emoji_id")));

    private static async Task<Ok<EmojiModel>> GetByNameAsync(string emojiName, EmojiService service) =>
        TypedResults.Ok(await service.GetByNameAsync(emojiName));

    private static async Task<Ok<IReadOnlyList<EmojiModel>>> GetByNamesAsync(string[]? body, EmojiService service) =>
        TypedResults.Ok(await service.GetByNamesAsync(body));

    private static async Task<Ok<IReadOnlyList<EmojiModel>>> AutocompleteAsync(string? name, EmojiService service) =>
        TypedResults.Ok(await service.AutocompleteAsync(name));

    private static async Task<Ok<IReadOnlyList<EmojiModel>>> SearchAsync(EmojiSearchRequest? body, EmojiService service) =>
        TypedResults.Ok(await service.SearchAsync(Input.Body(body)));
}
