using System.Text;
using System.Text.RegularExpressions;
using Chat.Store.Model;

namespace Chat.Api.Posts;

/// <summary>What a message names: the users whose keywords it contains, and whether it says @here, @channel or @all.</summary>
public sealed class ExplicitMentions
{
    public HashSet<string> UserIds { get; } = new(StringComparer.Ordinal);
    public bool HereMentioned { get; set; }
    public bool ChannelMentioned { get; set; }
    public bool AllMentioned { get; set; }
}

/// <summary>
/// Reads a message as Mattermost's StandardMentionParser does. Code (fenced blocks and inline spans) is not read.
/// The text splits into words on every character that cannot be part of a mention (anything but letters, digits and
/// <c>: . - _ @</c>), so <c>@bob's</c> names bob and <c>mail@bob</c> does not. A word is looked up as it is, then
/// without its trailing <c>. - : _</c> one at a time (<c>@bob.</c>, <c>@bob:</c>), then, unless it starts with @, in
/// its parts between <c>. - :</c>. Keywords are looked up in lower case (usernames as <c>@name</c>, mention keys) and
/// as written (first names, which are case-sensitive).
/// </summary>
public static partial class MentionParser
{
    private static readonly HashSet<string> SystemMentions = new(StringComparer.Ordinal) { "@here", "@channel", "@all" };

    /// <summary>Finds the users named in <paramref name="message"/> by the keywords (keyword → user ids).</summary>
    public static ExplicitMentions Find(string message, IReadOnlyDictionary<string, List<string>> keywords)
    {
        var found = new ExplicitMentions();
        Scan(message, word =>
        {
            var lower = word.ToLowerInvariant();
            switch (lower)
            {
                case "@here": found.HereMentioned = true; break;
                case "@channel": found.ChannelMentioned = true; break;
                case "@all": found.AllMentioned = true; break;
            }
            if (keywords.TryGetValue(lower, out var ids) || keywords.TryGetValue(word, out ids))
            {
                found.UserIds.UnionWith(ids);
                return true;
            }
            return false;
        }, word =>
        {
            // A keyword with non-ASCII letters also counts inside a longer word (scripts without spaces).
            foreach (var (keyword, ids) in keywords)
            {
                if (!Ascii.IsValid(keyword) && word.Contains(keyword, StringComparison.Ordinal))
                {
                    found.UserIds.UnionWith(ids);
                }
            }
        });
        return found;
    }

    /// <summary>
    /// Every word form <see cref="Find"/> may look up, in lower case: what to read from the database before the
    /// keywords are known (the <c>@</c> forms name the users who may be mentioned).
    /// </summary>
    public static HashSet<string> CandidateForms(string message)
    {
        var forms = new HashSet<string>(StringComparer.Ordinal);
        Scan(message, word =>
        {
            forms.Add(word.ToLowerInvariant());
            return false;
        }, _ => { });
        return forms;
    }

    /// <summary>Usernames the message may name with <c>@</c> (of forms from <see cref="CandidateForms"/>), without the <c>@</c>.</summary>
    public static IEnumerable<string> CandidateUsernames(IEnumerable<string> forms) =>
        forms.Where(f => f.Length > 1 && f[0] == '@').Select(f => f[1..]).Where(User.IsValidUsername);

    /// <summary>Whether a form is @here, @channel or @all (forms from <see cref="CandidateForms"/>).</summary>
    public static bool IsChannelWide(string form) => SystemMentions.Contains(form);

    private static void Scan(string message, Func<string, bool> check, Action<string> checkMultibyte)
    {
        foreach (var raw in Words(WithoutCode(message)))
        {
            // :word: is an emoji.
            if (raw[0] == ':' && raw[^1] == ':')
            {
                continue;
            }
            var word = raw.TrimStart(':', '.', '-', '_');
            if (word.Length == 0 || check(word))
            {
                continue;
            }
            var found = false;
            for (var shorter = word; shorter.Length > 0 && shorter[^1] is '.' or '-' or ':' or '_';)
            {
                shorter = shorter[..^1];
                if (shorter.Length > 0 && check(shorter))
                {
                    found = true;
                    break;
                }
            }
            if (found)
            {
                continue;
            }
            if (word[0] != '@' || SystemMentions.Contains(word))
            {
                if (word.AsSpan().IndexOfAny(".-:") >= 0)
                {
                    // Possibly the end of a sentence inside the word: its parts may be keywords.
                    foreach (var part in word.Split(['.', '-', ':'], StringSplitOptions.RemoveEmptyEntries))
                    {
                        check(part);
                    }
                }
            }
            if (!Ascii.IsValid(word))
            {
                checkMultibyte(word);
            }
        }
    }

    private static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && IsWordChar(text, i);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }

    /// <summary>Letters and numbers of any script, and the punctuation a mention or an emoji name may contain.</summary>
    private static bool IsWordChar(string text, int i)
    {
        var c = text[i];
        if (c is ':' or '.' or '-' or '_' or '@')
        {
            return true;
        }
        // Outside the basic plane a letter is a surrogate pair: both halves belong to the word.
        if (char.IsHighSurrogate(c))
        {
            return i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && (char.IsLetter(text, i) || char.IsNumber(text, i));
        }
        if (char.IsLowSurrogate(c))
        {
            return i > 0 && char.IsHighSurrogate(text[i - 1]) && (char.IsLetter(text, i - 1) || char.IsNumber(text, i - 1));
        }
        return char.IsLetter(c) || char.IsNumber(c);
    }

    /// <summary>The message with its code blocks and inline code replaced by line breaks (never read for mentions).</summary>
    private static string WithoutCode(string message) =>
        message.Contains('`') || message.Contains("~~~", StringComparison.Ordinal)
            ? InlineCode().Replace(FencedCode().Replace(message, "\n"), " ")
            : message;

    [GeneratedRegex(@"^[ ]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(^[ ]{0,3}\1[`~]*[ \t]*$|\z)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"(`+)(?!`).+?(?<!`)\1(?!`)", RegexOptions.Singleline)]
    private static partial Regex InlineCode();
}
