using System.Globalization;
using System.Text;
using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.Api.Posts;

/// <summary>
/// Mattermost's search syntax: words (all must match, or any with is_or_search), "quoted phrases", -excluded words,
/// prefix* words, and the modifiers from:username, in:channel-name (or channel:), on:/after:/before:YYYY-MM-DD in
/// the client's time zone (time_zone_offset, seconds east of UTC). after: and before: exclude the day they name.
/// </summary>
public static class SearchTerms
{
    public const int MaxLength = 1024;
    public const int MaxTokens = 32;
    public const int MaxTokenLength = 256;

    /// <summary>A word (or a modifier's value) longer than the longest user or channel name cannot be meant.</summary>
    public const int MaxWordLength = 64;

    /// <summary>Letters or digits a prefix* needs: a shorter one expands to a large share of the index's words.</summary>
    public const int MinPrefixLength = 2;

    /// <summary>Most results a search pages through (page × per_page + per_page): deeper offsets only make slow queries.</summary>
    public const int MaxResultWindow = 10_000;

    public static PostSearch Parse(string? terms, bool any, int timeZoneOffsetSeconds)
    {
        var text = terms ?? "";
        if (text.Length is 0 or > MaxLength)
        {
            throw Invalid($"Search terms are 1 to {MaxLength} characters.");
        }
        if (timeZoneOffsetSeconds is < -14 * 3600 or > 14 * 3600 || timeZoneOffsetSeconds % 60 != 0)
        {
            throw AppErrorException.InvalidParam("time_zone_offset");
        }
        var words = new List<string>();
        var prefixes = new List<string>();
        var from = new List<string>();
        var inChannels = new List<string>();
        long? createdFrom = null, createdBefore = null;
        var tokens = Tokenize(text);
        if (tokens.Count > MaxTokens || tokens.Any(t => t.Length > MaxTokenLength))
        {
            throw Invalid($"Search with at most {MaxTokens} terms of at most {MaxTokenLength} characters each.");
        }
        foreach (var token in tokens)
        {
            var (modifier, value) = SplitModifier(token);
            if (value.Trim('"').Split(' ').Any(w => w.Length > MaxWordLength))
            {
                throw Invalid($"Search words are at most {MaxWordLength} characters.");
            }
            switch (modifier)
            {
                case "from":
                    from.Add(value.TrimStart('@').ToLowerInvariant());
                    break;
                case "in" or "channel":
                    inChannels.Add(value.TrimStart('~').ToLowerInvariant());
                    break;
                case "on":
                    createdFrom = Max(createdFrom, DayStart(value, 0, timeZoneOffsetSeconds));
                    createdBefore = Min(createdBefore, DayStart(value, 1, timeZoneOffsetSeconds));
                    break;
                case "after":
                    createdFrom = Max(createdFrom, DayStart(value, 1, timeZoneOffsetSeconds));
                    break;
                case "before":
                    createdBefore = Min(createdBefore, DayStart(value, 0, timeZoneOffsetSeconds));
                    break;
                default:
                    if (token.Length > 1 && token.EndsWith('*') && !token.StartsWith('"'))
                    {
                        var prefix = new string([.. token.TrimEnd('*').Where(char.IsLetterOrDigit)]).ToLowerInvariant();
                        if (prefix.Length < MinPrefixLength)
                        {
                            throw Invalid($"A word ending in * needs at least {MinPrefixLength} letters or digits before it.");
                        }
                        prefixes.Add(prefix);
                    }
                    else if (token.Any(char.IsLetterOrDigit))
                    {
                        // Punctuation alone can match nothing in the index.
                        words.Add(token);
                    }
                    break;
            }
        }
        if (words.Count == 0 && prefixes.Count == 0 && from.Count == 0 && inChannels.Count == 0)
        {
            throw Invalid("Search for at least one word, phrase, from: or in:.");
        }
        return new PostSearch
        {
            Text = string.Join(any ? " or " : " ", words),
            Prefixes = prefixes,
            AllPrefixes = !any,
            FromUsers = from,
            InChannels = inChannels,
            CreatedFrom = createdFrom,
            CreatedBefore = createdBefore,
        };
    }

    /// <summary>Splits on white space; a double-quoted phrase is one token, quotes kept (websearch_to_tsquery reads them).</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                current.Append(c);
                quoted = !quoted;
                if (!quoted)
                {
                    Flush();
                }
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                Flush();
            }
            else
            {
                current.Append(c);
            }
        }
        if (quoted)
        {
            current.Append('"');
        }
        Flush();
        return tokens;

        void Flush()
        {
            if (current.Length > 0 && current.ToString() is not "\"" and not "\"\"")
            {
                tokens.Add(current.ToString());
            }
            current.Clear();
        }
    }

    private static (string? Modifier, string Value) SplitModifier(string token)
    {
        var colon = token.IndexOf(':');
        if (colon <= 0 || token.StartsWith('"'))
        {
            return (null, token);
        }
        var modifier = token[..colon].ToLowerInvariant();
        if (modifier is not ("from" or "in" or "channel" or "on" or "after" or "before"))
        {
            return (null, token);
        }
        var value = token[(colon + 1)..];
        return value.Length == 0 ? throw Invalid($"{modifier}: needs a value.") : (modifier, value);
    }

    /// <summary>Midnight at the start of the day <paramref name="plusDays"/> after <paramref name="date"/>, in the client's zone.</summary>
    private static long DayStart(string date, int plusDays, int offsetSeconds)
    {
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            throw Invalid($"'{date}' is not a date (YYYY-MM-DD).");
        }
        // Day arithmetic in milliseconds: the first and last representable days (0001-01-01, 9999-12-31) with an
        // offset or a day added fall outside DateTimeOffset's range, and any day is a fine bound for a search.
        return (day.DayNumber + plusDays - UnixEpochDay) * 86_400_000L - offsetSeconds * 1000L;
    }

    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private static long Max(long? a, long b) => a is { } x && x > b ? x : b;

    private static long Min(long? a, long b) => a is { } x && x < b ? x : b;

    private static AppErrorException Invalid(string message) =>
        AppErrorException.BadRequest("api.post.search_posts.invalid_terms.app_error", message);
}
