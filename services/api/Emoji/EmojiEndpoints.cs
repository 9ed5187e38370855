using System.Text.Json;
using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using EmojiModel = Chat.Store.Model.Emoji;

namespace Chat.Api.Emoji;

public static class EmojiEndpoints
{
    public static void MapEmoji(this RouteGroupBuilder api)
    {
        var emoji = api.MapGroup("/emoji").RequireAuthorization();
        emoji.AddEndpointFilter(static (invocation, next) =>
        {
            invocation.HttpContext.RequestServices.GetRequiredService<EmojiService>().DemandEnabled();
            return next(invocation);
        });
        emoji.MapPost("/", CreateAsync).WithMetadata(new CreateSizeLimit());
        emoji.MapGet("/", GetPageAsync);
        emoji.MapPost("/names", GetByNamesAsync);
        emoji.MapGet("/autocomplete", AutocompleteAsync);
        emoji.MapPost("/search", SearchAsync);
        emoji.MapGet("/name/{emojiName}", GetByNameAsync);
        emoji.MapGet("/{emojiId}", GetAsync);
        emoji.MapDelete("/{emojiId}", DeleteAsync);
        emoji.MapGet("/{emojiId}/image", GetImageAsync);
    }

    /// <summary>
    /// POST: multipart/form-data with the image under "image" and the emoji's JSON ({name, creator_id}) under
    /// "emoji", in either order; the whole request is at most 1 MB (Mattermost's MaxEmojiFileSize), so it is read
    /// into memory.
    /// </summary>
    private static async Task<Ok<EmojiModel>> CreateAsync(HttpContext context, Session session, EmojiService service)
    {
        if (context.Request.ContentLength > EmojiService.MaxRequestBytes)
        {
            throw TooLarge();
        }
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw ParseError("Expected multipart/form-data.");
        }
        byte[]? image = null;
        string? json = null;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name is not ("image" or "emoji") || (name == "image" ? image is not null : json is not null))
                {
                    continue;
                }
                using var buffer = new MemoryStream();
                await section.Body.CopyToAsync(buffer, context.RequestAborted);
                if (name == "image")
                {
                    image = buffer.ToArray();
                }
                else
                {
                    json = global::System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw ParseError(e.Message);
        }
        NewEmoji? submitted;
        try
        {
            submitted = json is null ? null : JsonSerializer.Deserialize<NewEmoji>(json, ServiceDefaultsExtensions.JsonOptions);
        }
        catch (JsonException)
        {
            submitted = null;
        }
        if (submitted is null)
        {
            throw AppErrorException.InvalidParam("emoji");
        }
        if (image is not { Length: > 0 })
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", "Invalid or missing image in request body.");
        }
        return TypedResults.Ok(await service.CreateAsync(session, submitted, image, context.RequestAborted));
    }

    private static async Task<Ok<StatusOk>> DeleteAsync(string emojiId, Session session, EmojiService service)
    {
        await service.DeleteAsync(Input.Id(emojiId, "emoji_id"), session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    /// <summary>The image with its own type, cached by clients for 30 days as Mattermost allows (an emoji's image never changes).</summary>
    private static async Task<FileContentHttpResult> GetImageAsync(string emojiId, HttpContext context, EmojiService service)
    {
        var (image, mimeType) = await service.GetImageAsync(Input.Id(emojiId, "emoji_id"), context.RequestAborted);
        context.Response.Headers.CacheControl = "max-age=2592000, private";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Bytes(image, mimeType);
    }

    private static AppErrorException TooLarge() =>
        new(413, "api.emoji.create.too_large.app_error", $"Unable to create the emoji. The request must be at most {EmojiService.MaxRequestBytes} bytes.");

    private static AppErrorException ParseError(string detail) =>
        new(400, "api.emoji.create.parse.app_error", "Unable to create the emoji. Could not understand the request.", detail);

    /// <summary>Kestrel stops a body (chunked or lying about its length) past Mattermost's limit for this route.</summary>
    private sealed class CreateSizeLimit : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => EmojiService.MaxRequestBytes;
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
