using System.Text.Json;

namespace Chat.Plugins.Sdk;

/// <summary>A post, in Mattermost's shape. Change one with <c>post with { Message = … }</c>.</summary>
public sealed record Post
{
    public string Id { get; init; } = "";
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long EditAt { get; init; }
    public long DeleteAt { get; init; }
    public bool IsPinned { get; init; }
    public string UserId { get; init; } = "";
    public string ChannelId { get; init; } = "";
    public string RootId { get; init; } = "";
    public string Message { get; init; } = "";
    public string Type { get; init; } = "";
    public Dictionary<string, JsonElement> Props { get; init; } = [];
    public string PendingPostId { get; init; } = "";
}

/// <summary>A user (or bot account), as the server shows it to plugins: with email and full name.</summary>
public sealed record User
{
    public string Id { get; init; } = "";
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public string Username { get; init; } = "";
    public string Email { get; init; } = "";
    public string Nickname { get; init; } = "";
    public string FirstName { get; init; } = "";
    public string LastName { get; init; } = "";
    public string Position { get; init; } = "";
    public string Roles { get; init; } = "";
    public string Locale { get; init; } = "";
    public bool IsBot { get; init; }
}

/// <summary>A channel. <see cref="Type"/> is O (public), P (private), D (direct) or G (group).</summary>
public sealed record Channel
{
    public string Id { get; init; } = "";
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public string TeamId { get; init; } = "";
    public string Type { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string Name { get; init; } = "";
    public string Header { get; init; } = "";
    public string Purpose { get; init; } = "";
    public long LastPostAt { get; init; }
    public long TotalMsgCount { get; init; }
    public string CreatorId { get; init; } = "";
}

public sealed record ChannelMember
{
    public string ChannelId { get; init; } = "";
    public string UserId { get; init; } = "";
    public string Roles { get; init; } = "";
    public bool SchemeAdmin { get; init; }
    public long LastViewedAt { get; init; }
    public long MsgCount { get; init; }
    public long MentionCount { get; init; }
    public long LastUpdateAt { get; init; }
}

/// <summary>
/// Who receives a WebSocket event, Mattermost's broadcast: the first of user, channel and team that is set decides;
/// none set means every connected user. <see cref="OmitUsers"/> leaves users out.
/// </summary>
public sealed record WebSocketBroadcast
{
    public string UserId { get; init; } = "";
    public string ChannelId { get; init; } = "";
    public string TeamId { get; init; } = "";
    public Dictionary<string, bool>? OmitUsers { get; init; }
}

/// <summary>
/// Mattermost's PluginKVSetOptions. With <see cref="Atomic"/>, the write happens only if the stored value is still
/// <see cref="OldValue"/> (null: only if the key is absent), as one compare-and-set across the cluster.
/// <see cref="ExpireInSeconds"/> above zero makes the key expire.
/// </summary>
public sealed record PluginKVSetOptions
{
    public bool Atomic { get; init; }
    public byte[]? OldValue { get; init; }
    public long ExpireInSeconds { get; init; }
}

/// <summary>
/// The request that led to a hook (Mattermost's plugin.Context): the caller's session and its request id — for
/// ServeHTTP always the X-Request-Id the node answers with; for the other hooks the request's trace id while the node
/// traces (OTEL_EXPORTER_OTLP_ENDPOINT set), else empty. Empty for work that a plugin started.
/// </summary>
public sealed record PluginContext
{
    public string SessionId { get; init; } = "";
    public string RequestId { get; init; } = "";
}
