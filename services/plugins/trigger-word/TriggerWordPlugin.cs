using System.Text;
using System.Text.RegularExpressions;
using Chat.Plugins.Sdk;

namespace Chat.Plugins.TriggerWord;

/// <summary>
/// Each user keeps a list of trigger words; when someone else posts one of them in a channel the user belongs to,
/// the plugin's bot sends the user a direct message naming the word, the channel and the author.
/// Nothing lives in memory: every node's copy reads the same KV keys —
/// <c>user:{user id}</c> (the user's words: the truth) and <c>word:{word}</c> (the users who chose it: an index kept
/// with compare-and-set, checked against the users' own lists before anyone is notified).
/// The node that stores a post runs MessageHasBeenPosted for it, so each post notifies once in the cluster.
/// </summary>
public sealed partial class TriggerWordPlugin : Plugin
{
    public const string BotUsername = "trigger-word";
    private const int MaxWords = 20;
    private const int MaxWordLength = 32;
    private const int MaxTokensPerPost = 200;

    private string botId = "";

    public override async Task OnActivate(CancellationToken cancellationToken)
    {
        botId = await API.EnsureBot(BotUsername, "Trigger Word", cancellationToken);
        API.LogInfo("trigger-word activated", "bot_id", botId);
    }

    public override async Task<PluginHttpResponse> ServeHTTP(PluginContext context, PluginHttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Path != "/api/v1/words")
        {
            return PluginHttpResponse.NotFound(context);
        }
        if (request.UserId is not { } userId)
        {
            return PluginHttpResponse.Error(context, 401, "plugin.trigger_word.unauthorized", "Log in to manage your trigger words.");
        }
        switch (request.Method)
        {
            case "GET":
                return PluginHttpResponse.Json(new WordList(await API.KVGetJson<string[]>(UserKey(userId), cancellationToken) ?? []));
            case "PUT":
                if (request.ReadJson<WordList>()?.Words is not { } requested || Normalize(requested) is not { } words)
                {
                    return PluginHttpResponse.Error(context, 400, "plugin.trigger_word.invalid_words",
                        $"Expected {{\"words\": [...]}} with at most {MaxWords} words of 1 to {MaxWordLength} letters, digits, '-' or '_'.");
                }
                await SetWordsAsync(userId, words, cancellationToken);
                return PluginHttpResponse.Json(new WordList(words));
            default:
                return PluginHttpResponse.Error(context, 405, "plugin.trigger_word.method", "Use GET or PUT.");
        }
    }

    public override async Task MessageHasBeenPosted(PluginContext context, Post post, CancellationToken cancellationToken)
    {
        if (post.UserId == botId)
        {
            return; // Our own direct messages contain the words too.
        }
        var hits = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var word in Tokens(post.Message))
        {
            foreach (var userId in await API.KVGetJson<string[]>(WordKey(word), cancellationToken) ?? [])
            {
                if (userId != post.UserId)
                {
                    (hits.TryGetValue(userId, out var words) ? words : hits[userId] = []).Add(word);
                }
            }
        }
        if (hits.Count == 0)
        {
            return;
        }
        var channel = await API.GetChannel(post.ChannelId, cancellationToken);
        var author = await API.GetUser(post.UserId, cancellationToken);
        if (channel is null || author is null)
        {
            return;
        }
        foreach (var (userId, candidates) in hits)
        {
            var current = await API.KVGetJson<string[]>(UserKey(userId), cancellationToken) ?? [];
            var words = candidates.Where(current.Contains).ToList();
            if (words.Count == 0 || await API.GetChannelMember(channel.Id, userId, cancellationToken) is null)
            {
                continue;
            }
            var direct = await API.GetDirectChannel(botId, userId, cancellationToken);
            await API.CreatePost(new Post { ChannelId = direct.Id, UserId = botId, Message = Notice(words, channel, author) }, cancellationToken);
        }
    }

    private async Task SetWordsAsync(string userId, string[] words, CancellationToken cancellationToken)
    {
        var previous = await API.KVGetJson<string[]>(UserKey(userId), cancellationToken) ?? [];
        if (words.Length == 0)
        {
            await API.KVDelete(UserKey(userId), cancellationToken);
        }
        else
        {
            await API.KVSetJson(UserKey(userId), words, cancellationToken: cancellationToken);
        }
        foreach (var removed in previous.Except(words))
        {
            await API.KVUpdateJson<string[]>(WordKey(removed), ids => ids?.Where(id => id != userId).ToArray() is { Length: > 0 } rest ? rest : null, cancellationToken: cancellationToken);
        }
        // Every word, not only new ones: re-adding repairs an index entry lost to a concurrent update of the same user.
        foreach (var word in words)
        {
            await API.KVUpdateJson<string[]>(WordKey(word), ids => ids?.Contains(userId) == true ? ids : [.. ids ?? [], userId], cancellationToken: cancellationToken);
        }
    }

    private static string Notice(List<string> words, Channel channel, User author)
    {
        var where = channel.Type is "D" or "G" ? "a direct message" : $"~{channel.Name}" + (channel.DisplayName.Length > 0 ? $" ({channel.DisplayName})" : "");
        var text = new StringBuilder();
        text.Append(words.Count == 1 ? "Your trigger word " : "Your trigger words ");
        text.AppendJoin(", ", words.Select(w => $"**{w}**"));
        text.Append($" {(words.Count == 1 ? "was" : "were")} posted by @{author.Username} in {where}.");
        return text.ToString();
    }

    /// <summary>Lower-cased, distinct, valid words; null if any is invalid or there are too many.</summary>
    internal static string[]? Normalize(string[] requested)
    {
        var words = requested.Select(w => (w ?? "").Trim().ToLowerInvariant()).Where(w => w.Length > 0).Distinct().ToArray();
        return words.Length <= MaxWords && words.All(w => w.Length <= MaxWordLength && WordPattern().IsMatch(w)) ? words : null;
    }

    internal static IEnumerable<string> Tokens(string message) =>
        TokenPattern().Matches(message).Select(m => m.Value.ToLowerInvariant()).Where(w => w.Length <= MaxWordLength).Distinct().Take(MaxTokensPerPost);

    private static string UserKey(string userId) => "user:" + userId;

    private static string WordKey(string word) => "word:" + word;

    private sealed record WordList(string[] Words);

    [GeneratedRegex(@"^[\p{L}\p{N}_-]+$")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"[\p{L}\p{N}_-]+")]
    private static partial Regex TokenPattern();
}
