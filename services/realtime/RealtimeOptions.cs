using Chat.Configuration;
using Chat.RateLimiting;

namespace Chat.Realtime;

/// <summary>How the realtime node delivers: the resume window comes from the configuration, the rest are code-level limits.</summary>
internal sealed class RealtimeOptions
{
    public RealtimeOptions(ChatConfig config)
    {
        ResumeWindow = TimeSpan.FromMinutes(config.ServiceSettings.WebSocketResumeWindowMinutes);
    }

    /// <summary>ServiceSettings.WebSocketResumeWindowMinutes: how long a disconnected client may resume.</summary>
    public TimeSpan ResumeWindow { get; }

    /// <summary>Events waiting to be written to one socket; past it, typing events go first, then the connection.</summary>
    public int SendQueueLimit { get; init; } = 256;

    /// <summary>Action replies waiting for one socket; a client that floods actions faster than it reads is closed.</summary>
    public int ReplyQueueLimit { get; init; } = 64;

    /// <summary>Recent events kept in memory, so a connection that has replayed from the log joins the live stream without a gap.</summary>
    public int RecentEvents { get; init; } = 1024;

    /// <summary>Events read per query while replaying.</summary>
    public int ReplayPageSize { get; init; } = 500;

    /// <summary>How often checkpoints of connections that advanced are written.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Every connection's checkpoint is written at least this often, so its last_seen shows it is alive.</summary>
    public TimeSpan TouchInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the sessions of open sockets are checked (expired, logged out, user deactivated).</summary>
    public TimeSpan SessionCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A socket opened without credentials must authenticate (authentication_challenge) within this time.</summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Actions one connection may send: 10 a second, 50 more at once (a reconnecting client's burst).</summary>
    public RateQuota ActionRate { get; init; } = new(10, TimeSpan.FromSeconds(1), 50);

    /// <summary>
    /// user_typing on top of that: Mattermost's clients send it at most every 5 s per channel
    /// (TimeBetweenUserTypingUpdatesMilliseconds), so 1 a second and 5 more at once leaves room for channel switching.
    /// </summary>
    public RateQuota TypingRate { get; init; } = new(1, TimeSpan.FromSeconds(1), 5);

    /// <summary>Largest action message a client may send.</summary>
    public int MaxActionBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// How often each node sweeps statuses (sockets of stopped nodes, idle users, ended timed DND): with the 5 s
    /// NodeDownAfterMilliseconds, a user whose node was killed is offline 5 to 7 s later.
    /// </summary>
    public TimeSpan PresenceSweepInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Users one sweep changes at most per rule; the next sweep takes the rest.</summary>
    public int PresenceSweepLimit { get; init; } = 1000;

    /// <summary>How soon a failed status write is tried again.</summary>
    public TimeSpan PresenceRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Protocol-level keep-alive: the server pings this often and closes sockets whose pong does not come.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);
}
