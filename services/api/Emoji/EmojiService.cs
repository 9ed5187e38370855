using Chat.Api.Authorization;
using Chat.ServiceDefaults;
using Chat.Store.Postgres;
using EmojiModel = Chat.Store.Model.Emoji;

namespace Chat.Api.Emoji;

/// <summary>A custom emoji search as a client sends it.</summary>
public sealed record EmojiSearchRequest(string? Term, bool? PrefixOnly);

/// <summary>Custom emoji, readable by any signed-in user. (Creating them, with their images, belongs to the files.)</summary>
public sealed class EmojiService(EmojiStore emoji)
{
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

    /// <summary>Mattermost's answer to an emoji name that is neither a system nor a custom emoji's.</summary>
    public static AppErrorException NoSuchName() => new(404, "app.emoji.get_by_name.no_result", "Unable to find the emoji.");

    /// <summary>No emoji's name is longer than the longest allowed, so such a term finds nothing.</summary>
    private async Task<IReadOnlyList<EmojiModel>> SearchAsync(string term, bool prefixOnly, int limit) =>
        term.Length > EmojiModel.NameMaxLength ? [] : await emoji.SearchAsync(term, prefixOnly, limit);
}
