namespace Chat.Store.Model;

/// <summary>
/// A parsed Mattermost search (POST /teams/{id}/posts/search): words and phrases for the full-text index, and the
/// modifiers that narrow it. Bounds are milliseconds since the epoch.
/// </summary>
public sealed record PostSearch
{
    /// <summary>Words, "quoted phrases" and -excluded words, in websearch_to_tsquery's syntax (OR-joined for an any-search).</summary>
    public string Text { get; init; } = "";
    /// <summary>Words written with a trailing * (prefix matches), letters and digits only.</summary>
    public IReadOnlyList<string> Prefixes { get; init; } = [];
    /// <summary>from: usernames; a post by any of them matches.</summary>
    public IReadOnlyList<string> FromUsers { get; init; } = [];
    /// <summary>in: channel names; a post in any of them matches.</summary>
    public IReadOnlyList<string> InChannels { get; init; } = [];
    public long? CreatedFrom { get; init; }
    public long? CreatedBefore { get; init; }
    /// <summary>True when all prefixes must match (the default); false for an any-search.</summary>
    public bool AllPrefixes { get; init; } = true;
}
