using System.Text;
using Chat.Plugins.Sdk;

namespace Chat.Plugins.ChannelDigest;

/// <summary>
/// Counts the posts of every channel per period (KV <c>count:{period}:{channel id}</c>, incremented by
/// compare-and-set from every node, expiring after three periods) and, at the start of each period, sends every
/// subscriber (<c>sub:{user id}</c>) a direct message with the last period's counts of the channels they belong
/// to. The digest is a <see cref="Cluster.Schedule"/> job on the rounded interval: every node schedules it, and it
/// runs once per period in the cluster, whichever nodes are alive.
/// </summary>
public sealed class ChannelDigestPlugin : Plugin
{
    public const string BotUsername = "channel-digest";
    private const int MaxChannelsPerDigest = 50;

    private string botId = "";
    private long intervalMs;
    private ClusterJob? job;

    public override async Task OnActivate(CancellationToken cancellationToken)
    {
        var settings = await API.GetPluginConfig<Settings>(cancellationToken);
        intervalMs = Math.Max(1, settings.IntervalSeconds) * 1000L;
        botId = await API.EnsureBot(BotUsername, "Channel Digest", cancellationToken);
        job = Cluster.Schedule(API, "digest", Cluster.MakeWaitForRoundedInterval(TimeSpan.FromMilliseconds(intervalMs)), SendDigestsAsync);
    }

    public override async Task OnDeactivate(CancellationToken cancellationToken)
    {
        if (job is not null)
        {
            await job.CloseAsync();
        }
    }

    public override async Task MessageHasBeenPosted(PluginContext context, Post post, CancellationToken cancellationToken)
    {
        if (post.UserId == botId)
        {
            return;
        }
        var period = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / intervalMs;
        await API.KVUpdateJson<long>(CountKey(period, post.ChannelId), count => count + 1, expireInSeconds: 3 * intervalMs / 1000 + 1, cancellationToken);
    }

    public override async Task<PluginHttpResponse> ServeHTTP(PluginContext context, PluginHttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Path != "/api/v1/subscription")
        {
            return PluginHttpResponse.NotFound(context);
        }
        if (request.UserId is not { } userId)
        {
            return PluginHttpResponse.Error(context, 401, "plugin.channel_digest.unauthorized", "Log in to manage your subscription.");
        }
        if (request.Method == "PUT")
        {
            if (request.ReadJson<Subscription>() is not { } wanted)
            {
                return PluginHttpResponse.Error(context, 400, "plugin.channel_digest.invalid", "Expected {\"subscribed\": true|false}.");
            }
            if (wanted.Subscribed)
            {
                await API.KVSet(SubscriberKey(userId), [1], cancellationToken);
            }
            else
            {
                await API.KVDelete(SubscriberKey(userId), cancellationToken);
            }
        }
        else if (request.Method != "GET")
        {
            return PluginHttpResponse.Error(context, 405, "plugin.channel_digest.method", "Use GET or PUT.");
        }
        return PluginHttpResponse.Json(new Subscription(await API.KVGet(SubscriberKey(userId), cancellationToken) is not null));
    }

    private async Task SendDigestsAsync(CancellationToken cancellationToken)
    {
        var period = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / intervalMs - 1;
        var countPrefix = $"count:{period}:";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var subscribers = new List<string>();
        await foreach (var key in AllKeysAsync(cancellationToken))
        {
            if (key.StartsWith(countPrefix, StringComparison.Ordinal))
            {
                counts[key[countPrefix.Length..]] = await API.KVGetJson<long>(key, cancellationToken);
            }
            else if (key.StartsWith("sub:", StringComparison.Ordinal))
            {
                subscribers.Add(key["sub:".Length..]);
            }
        }
        if (counts.Count == 0)
        {
            return;
        }
        var channels = new List<Channel>();
        foreach (var channelId in counts.Keys)
        {
            if (await API.GetChannel(channelId, cancellationToken) is { Type: "O" or "P" } channel)
            {
                channels.Add(channel);
            }
        }
        foreach (var userId in subscribers)
        {
            var lines = new StringBuilder();
            foreach (var channel in channels.OrderByDescending(c => counts[c.Id]).Take(MaxChannelsPerDigest))
            {
                if (await API.GetChannelMember(channel.Id, userId, cancellationToken) is not null)
                {
                    lines.Append($"\n- ~{channel.Name}: {counts[channel.Id]} new post{(counts[channel.Id] == 1 ? "" : "s")}");
                }
            }
            if (lines.Length > 0)
            {
                var direct = await API.GetDirectChannel(botId, userId, cancellationToken);
                await API.CreatePost(new Post { ChannelId = direct.Id, UserId = botId, Message = "Channel digest:" + lines }, cancellationToken);
            }
        }
    }

    private async IAsyncEnumerable<string> AllKeysAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int perPage = 1000;
        for (var page = 0; ; page++)
        {
            var keys = await API.KVList(page, perPage, cancellationToken);
            foreach (var key in keys)
            {
                yield return key;
            }
            if (keys.Count < perPage)
            {
                yield break;
            }
        }
    }

    private static string CountKey(long period, string channelId) => $"count:{period}:{channelId}";

    private static string SubscriberKey(string userId) => "sub:" + userId;

    private sealed class Settings
    {
        public long IntervalSeconds { get; set; } = 3600;
    }

    private sealed record Subscription(bool Subscribed);
}
