using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.FileStorage;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using EmojiModel = Chat.Store.Model.Emoji;

namespace Chat.Api.Emoji;

/// <summary>A custom emoji search as a client sends it.</summary>
public sealed record EmojiSearchRequest(string? Term, bool? PrefixOnly);

/// <summary>The emoji a client submits with its image: only its name counts (the creator must be the caller).</summary>
public sealed record NewEmoji(string? Name, string? CreatorId);

/// <summary>
/// Custom emoji (Mattermost's app/emoji.go): readable by any signed-in user, created by those with create_emojis
/// (every user by default) with an image in the file store at emoji/{id}/image, deleted by their creator
/// (delete_emojis) or by others with delete_others_emojis. ServiceSettings.EnableCustomEmoji off answers every
/// emoji route 501, as Mattermost does.
/// </summary>
public sealed class EmojiService(EmojiStore emoji, IFileStore store, ImageProcessor images, Outbox outbox, LiveConfig config)
{
    /// <summary>Mattermost's MaxEmojiFileSize: the whole create request, image and JSON.</summary>
    public const long MaxRequestBytes = 1 << 20;

    /// <summary>Mattermost's GetEmojisByNamesMax.</summary>
    private const int MaxNames = 200;
    private const int MaxAutocomplete = 100;
    private const int MaxSearch = Input.MaxPerPage;

    public Task<IReadOnlyList<EmojiModel>> GetPageAsync(int page, int perPage, string? sort) =>
        sort is null or "" or "name"
            ? emoji.GetPageAsync(page, perPage, byName: sort == "name")
            : throw AppErrorException.InvalidParam("sort");

    public async Task<EmojiModel> GetAsync(string id) =>
        await emoji.GetAsync(id) ?? throw new AppErrorException(404, "app.emoji.get.no_result", "Unable to find the emoji.");

    public async Task<EmojiModel> GetByNameAsync(string name) =>
        EmojiModel.IsValidName(name)
            ? await emoji.GetByNameAsync(name) ?? throw NoSuchName()
            : throw AppErrorException.InvalidParam("emoji_name");

    /// <summary>The custom emoji of those names that exist; names that cannot be an emoji's are simply not found.</summary>
    public Task<IReadOnlyList<EmojiModel>> GetByNamesAsync(string[]? names)
    {
        if (names is null || names.Any(n => n is null))
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", "Expected a JSON array of emoji names.");
        }
        if (names.Length == 0)
        {
            throw AppErrorException.InvalidParam("names");
        }
        if (names.Length > MaxNames)
        {
            throw AppErrorException.BadRequest("api.emoji.get_multiple_by_name_too_many.request_error", $"At most {MaxNames} emoji names may be asked for at once.");
        }
        return emoji.GetByNamesAsync([.. names.Where(EmojiModel.IsValidName).Distinct(StringComparer.Ordinal)]);
    }

    public Task<IReadOnlyList<EmojiModel>> AutocompleteAsync(string? name) =>
        string.IsNullOrEmpty(name) ? throw AppErrorException.InvalidParam("name") : SearchAsync(name, prefixOnly: true, MaxAutocomplete);

    public Task<IReadOnlyList<EmojiModel>> SearchAsync(EmojiSearchRequest request) =>
        string.IsNullOrEmpty(request.Term) ? throw AppErrorException.InvalidParam("term") : SearchAsync(request.Term, request.PrefixOnly ?? false, MaxSearch);

    public void DemandEnabled()
    {
        if (!config.Current.ServiceSettings.EnableCustomEmoji)
        {
            throw new AppErrorException(501, "api.emoji.disabled.app_error", "Custom emoji have been disabled by the system admin.");
        }
    }

    /// <summary>
    /// A new emoji from its submitted JSON and image (at most <see cref="MaxRequestBytes"/>, already read): the image is
    /// checked and scaled before anything is stored, then the row and its emoji_added event are written together.
    /// </summary>
    public async Task<EmojiModel> CreateAsync(Session caller, NewEmoji submitted, byte[] image, CancellationToken cancellationToken)
    {
        DemandEnabled();
        Access.Demand(caller.HasPermission(Permissions.CreateEmojis));
        if (!EmojiModel.IsValidNewName(submitted.Name))
        {
            throw AppErrorException.BadRequest("model.emoji.name.app_error",
                "Name should be 1 to 64 characters: lowercase letters, digits, '-' and '_', and not a system emoji's name.");
        }
        if (submitted.CreatorId != caller.UserId)
        {
            throw new AppErrorException(403, "api.emoji.create.other_user.app_error", "Invalid user id.");
        }
        if (await emoji.GetByNameAsync(submitted.Name) is not null)
        {
            throw Duplicate();
        }
        var stored = await ImageOfAsync(image, cancellationToken);
        var now = ChatDatabase.NowMs();
        var created = new EmojiModel { Id = Ids.New(), CreateAt = now, UpdateAt = now, CreatorId = caller.UserId, Name = submitted.Name };
        await store.WriteAsync(ImagePath(created.Id), new MemoryStream(stored), MaxRequestBytes, cancellationToken);
        var saved = await outbox.WriteAsync(tx => EmojiStore.CreateAsync(tx, created), e => e is null ? [] : [WebSocketEvents.EmojiAdded.Create(e)]);
        if (saved is null)
        {
            // Another node saved the name first.
            await store.DeleteAsync(ImagePath(created.Id), CancellationToken.None);
            throw Duplicate();
        }
        return saved;
    }

    /// <summary>The emoji's image and its type; 404 for an emoji that is not live.</summary>
    public async Task<(byte[] Image, string MimeType)> GetImageAsync(string id, CancellationToken cancellationToken)
    {
        DemandEnabled();
        _ = await GetAsync(id);
        await using var source = await store.OpenReadAsync(ImagePath(id), cancellationToken) ?? throw NoImage();
        using var buffer = new MemoryStream();
        await source.CopyToAsync(buffer, cancellationToken);
        buffer.Position = 0;
        var header = await images.IdentifyAsync(buffer, cancellationToken) ?? throw NoImage();
        return (buffer.ToArray(), header.MimeType);
    }

    /// <summary>delete_emojis for one's own emoji, delete_others_emojis as well for anyone else's.</summary>
    public async Task DeleteAsync(string id, Session caller)
    {
        DemandEnabled();
        var existing = await GetAsync(id);
        Access.Demand(caller.HasPermission(Permissions.DeleteEmojis)
            && (existing.CreatorId == caller.UserId || caller.HasPermission(Permissions.DeleteOthersEmojis)));
        _ = await emoji.DeleteAsync(id, ChatDatabase.NowMs())
            ?? throw new AppErrorException(404, "app.emoji.delete.no_results", "Unable to find the emoji to delete.");
        await store.DeleteAsync(ImagePath(id), CancellationToken.None);
    }

    /// <summary>Mattermost's answer to an emoji name that is neither a system nor a custom emoji's.</summary>
    public static AppErrorException NoSuchName() => new(404, "app.emoji.get_by_name.no_result", "Unable to find the emoji.");

    private static string ImagePath(string id) => $"emoji/{id}/image";

    /// <summary>The image as stored: checked to be an image no larger than Mattermost allows, scaled down to 128x128 when larger.</summary>
    private async Task<byte[]> ImageOfAsync(byte[] upload, CancellationToken cancellationToken)
    {
        var header = await images.IdentifyAsync(new MemoryStream(upload), cancellationToken)
            ?? throw AppErrorException.BadRequest("api.emoji.upload.image.app_error", "Unable to create the emoji. The file must be a PNG, JPEG or GIF image.");
        if (header.Width > ImageProcessor.EmojiMaxOriginalSize || header.Height > ImageProcessor.EmojiMaxOriginalSize)
        {
            throw AppErrorException.BadRequest("api.emoji.upload.large_image.too_large.app_error",
                $"Unable to create the emoji. The image must be at most {ImageProcessor.EmojiMaxOriginalSize} by {ImageProcessor.EmojiMaxOriginalSize} pixels.");
        }
        if (header.Width <= ImageProcessor.EmojiSize && header.Height <= ImageProcessor.EmojiSize)
        {
            return upload;
        }
        return await images.EmojiImageAsync(new MemoryStream(upload), cancellationToken)
            ?? throw AppErrorException.BadRequest("api.emoji.upload.large_image.decode_error", "Unable to create the emoji. An error occurred when trying to decode the image.");
    }

    private static AppErrorException Duplicate() =>
        AppErrorException.BadRequest("api.emoji.create.duplicate.app_error", "Unable to create the emoji. Another emoji with the same name already exists.");

    private static AppErrorException NoImage() =>
        new(404, "api.emoji.get_image.read.app_error", "Unable to read the emoji's image file.");

    /// <summary>No emoji's name is longer than the longest allowed, so such a term finds nothing.</summary>
    private async Task<IReadOnlyList<EmojiModel>> SearchAsync(string term, bool prefixOnly, int limit) =>
        term.Length > EmojiModel.NameMaxLength ? [] : await emoji.SearchAsync(term, prefixOnly, limit);
}
