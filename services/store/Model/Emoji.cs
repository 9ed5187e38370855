using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Chat.Store.Model;

/// <summary>A custom emoji, in Mattermost's shape (its image is stored as a file, under the emoji's id).</summary>
public sealed partial record Emoji
{
    public const int NameMaxLength = 64;

    public required string Id { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public required string CreatorId { get; init; }
    public required string Name { get; init; }

    /// <summary>
    /// The names of Mattermost's system emoji, data shipped with the server: the short names of the emoji data set
    /// the web app draws (emoji-datasource 15.1) together with Mattermost's own aliases (model/emoji_data.go).
    /// </summary>
    public static FrozenSet<string> SystemNames { get; } = LoadSystemNames();

    /// <summary>Mattermost's emoji name rule (letters, digits, -, +, _; 1 to 64 characters), as its URL parameters check it.</summary>
    public static bool IsValidName(string? name) => name is { Length: > 0 and <= NameMaxLength } && NamePattern().IsMatch(name);

    /// <summary>
    /// Mattermost's rule for a new custom emoji's name (model.emoji.name.app_error): letters, digits, - and _ only,
    /// 1 to 64 characters, and not a system emoji's name.
    /// </summary>
    public static bool IsValidNewName([NotNullWhen(true)] string? name) =>
        name is { Length: > 0 and <= NameMaxLength } && NewNamePattern().IsMatch(name) && !SystemNames.Contains(name);

    /// <summary>The custom emoji names a message shows (<c>:name:</c>), system names left out.</summary>
    public static IEnumerable<string> CustomNamesIn(string message) =>
        message.Contains(':', StringComparison.Ordinal)
            ? InTextPattern().Matches(message).Select(m => m.Groups[1].Value).Where(n => n.Length <= NameMaxLength && !SystemNames.Contains(n)).Distinct()
            : [];

    private static FrozenSet<string> LoadSystemNames()
    {
        using var stream = typeof(Emoji).Assembly.GetManifestResourceStream("Chat.Store.SystemEmojiNames.txt")
            ?? throw new InvalidOperationException("The system emoji names are missing from the store assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToFrozenSet(StringComparer.Ordinal);
    }

    [GeneratedRegex("^[a-zA-Z0-9+_-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex NewNamePattern();

    [GeneratedRegex(":([a-zA-Z0-9+_-]+):")]
    private static partial Regex InTextPattern();
}
