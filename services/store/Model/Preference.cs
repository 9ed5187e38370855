using System.Text;
using System.Text.Json;
using Chat.ServiceDefaults;

namespace Chat.Store.Model;

/// <summary>One of a user's preferences, as Mattermost stores them: a value per category and name.</summary>
public sealed record Preference
{
    public const string TutorialStep = "tutorial_step";
    public const string FlaggedPost = "flagged_post";
    private const string Theme = "theme";
    private const int MaxCategoryLength = 32;
    private const int MaxNameLength = 32;
    private const int MaxValueLength = 20000;
    private const int MaxVisibleDirectChannels = 40;

    public required string UserId { get; init; }
    public required string Category { get; init; }
    public required string Name { get; init; }
    public required string Value { get; init; }

    /// <summary>Mattermost's Preference.IsValid (model.preference.is_valid.*): the first rule broken, or null.</summary>
    public AppErrorException? IsValid()
    {
        if (!Ids.IsValid(UserId))
        {
            return Invalid("id", "Invalid user id.");
        }
        if (Category.Length == 0 || Encoding.UTF8.GetByteCount(Category) > MaxCategoryLength)
        {
            return Invalid("category", $"The category must be 1 to {MaxCategoryLength} bytes long.");
        }
        if (Encoding.UTF8.GetByteCount(Name) > MaxNameLength)
        {
            return Invalid("name", $"The name must be at most {MaxNameLength} bytes long.");
        }
        if (Value.EnumerateRunes().Count() > MaxValueLength)
        {
            return Invalid("value", $"The value must be at most {MaxValueLength} characters long.");
        }
        if (Category == Theme && !IsStringMap(Value))
        {
            return Invalid("theme", "A theme must be a JSON object of strings.");
        }
        if (Category == "sidebar_settings" && Name == "limit_visible_dms_gms"
            && !(int.TryParse(Value, out var limit) && limit is >= 1 and <= MaxVisibleDirectChannels))
        {
            return Invalid("limit_visible_dms_gms", $"The number of visible direct messages must be 1 to {MaxVisibleDirectChannels}.");
        }
        return null;
    }

    private static bool IsStringMap(string value)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(value) is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static AppErrorException Invalid(string rule, string message) =>
        AppErrorException.BadRequest($"model.preference.is_valid.{rule}.app_error", message);
}
