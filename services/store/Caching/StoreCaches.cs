using System.Text.Json.Serialization;
using Chat.BuildingBlocks.PubSub;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Npgsql;

namespace Chat.Store.Caching;

/// <summary>
/// An invalidation: which cache, and which entries (a session by its token hash; everything of a user; a user's
/// access to a channel).
/// </summary>
public sealed record CacheInvalidation(
    [property: JsonPropertyName("cache")] string Cache,
    [property: JsonPropertyName("token_hash")] string? TokenHash = null,
    [property: JsonPropertyName("user_id")] string? UserId = null,
    [property: JsonPropertyName("channel_id")] string? ChannelId = null);

/// <summary>
/// The caches on the request hot path: the session a token opens (every authenticated request) and a user's access
/// to a channel (every post). Writes that change what they hold publish an invalidation in their own transaction
/// (the outbox), so it reaches every node if and only if the change commits; the writing node also drops its entry
/// at once. Entries expire after a short time anyway, which bounds the effect of changes made behind the
/// application's back (SQL by hand).
/// </summary>
public sealed class StoreCaches(IEventBus bus)
{
    public const string Topic = "store.invalidate";
    public const string SessionsCache = "sessions";
    public const string ChannelAccessCache = "channel_access";

    public InvalidatingCache<string, Session> Sessions { get; } = new(TimeSpan.FromSeconds(30), 100_000);

    public InvalidatingCache<(string ChannelId, string UserId), ChannelAccess> ChannelAccess { get; } = new(TimeSpan.FromSeconds(30), 100_000);

    public async Task InvalidateAsync(NpgsqlTransaction transaction, CacheInvalidation invalidation)
    {
        Apply(invalidation);
        await bus.PublishAsync(transaction, ClusterEvent.Create(Topic, "invalidate", invalidation));
    }

    /// <summary>Drops what the invalidation names from this node's caches.</summary>
    public void Apply(CacheInvalidation invalidation)
    {
        switch (invalidation.Cache)
        {
            case SessionsCache when invalidation.TokenHash is { } hash:
                Sessions.Remove(hash);
                break;
            case SessionsCache when invalidation.UserId is { } user:
                Sessions.RemoveWhere((_, s) => s.UserId == user);
                break;
            case ChannelAccessCache when invalidation is { UserId: { } user, ChannelId: { } channel }:
                ChannelAccess.Remove((channel, user));
                break;
            case ChannelAccessCache when invalidation.UserId is { } user:
                ChannelAccess.RemoveWhere((k, _) => k.UserId == user);
                break;
            case ChannelAccessCache when invalidation.ChannelId is { } channel:
                ChannelAccess.RemoveWhere((k, _) => k.ChannelId == channel);
                break;
        }
    }

    /// <summary>Everything, e.g. after a database failover or a pool recycle.</summary>
    public void Clear()
    {
        Sessions.Clear();
        ChannelAccess.Clear();
    }
}
