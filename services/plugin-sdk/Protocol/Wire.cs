using System.Text.Json;

namespace Chat.Plugins.Sdk.Protocol;

/// <summary>The methods of the wire protocol, named after Mattermost's hooks and plugin API.</summary>
internal static class Methods
{
    // Node → plugin: lifecycle and hooks.
    public const string OnActivate = "OnActivate";
    public const string OnDeactivate = "OnDeactivate";
    public const string Ping = "Ping";
    public const string MessageWillBePosted = "MessageWillBePosted";
    public const string MessageHasBeenPosted = "MessageHasBeenPosted";
    public const string UserHasJoinedChannel = "UserHasJoinedChannel";
    public const string ServeHttp = "ServeHTTP";

    /// <summary>The hooks a plugin may implement; it reports which it does when activated.</summary>
    public static readonly IReadOnlyList<string> Hooks = [MessageWillBePosted, MessageHasBeenPosted, UserHasJoinedChannel, ServeHttp];

    // Plugin → node: the API.
    public const string KVSet = "KVSet";
    public const string KVSetWithOptions = "KVSetWithOptions";
    public const string KVGet = "KVGet";
    public const string KVDelete = "KVDelete";
    public const string KVDeleteAll = "KVDeleteAll";
    public const string KVList = "KVList";
    public const string CreatePost = "CreatePost";
    public const string GetUser = "GetUser";
    public const string GetUserByUsername = "GetUserByUsername";
    public const string GetChannel = "GetChannel";
    public const string GetChannelMember = "GetChannelMember";
    public const string GetChannelMembers = "GetChannelMembers";
    public const string GetDirectChannel = "GetDirectChannel";
    public const string EnsureBot = "EnsureBot";
    public const string PublishWebSocketEvent = "PublishWebSocketEvent";
    public const string GetPluginConfig = "GetPluginConfig";
}

internal sealed record ActivateParams(string PluginId);

internal sealed record ActivateResult(IReadOnlyList<string> Hooks);

internal sealed record PostHookParams(PluginContext Context, Post Post);

/// <summary>MessageWillBePosted's answer: a replacement post, a rejection reason, or neither (unchanged).</summary>
internal sealed record WillBePostedResult(Post? Post, string? RejectionReason);

internal sealed record UserJoinedParams(PluginContext Context, ChannelMember ChannelMember, User? Actor);

internal sealed record ServeHttpParams(PluginContext Context, PluginHttpRequest Request);

internal sealed record KVKeyParams(string Key);

internal sealed record KVSetParams(string Key, byte[] Value, long ExpireInSeconds);

internal sealed record KVSetWithOptionsParams(string Key, byte[]? Value, PluginKVSetOptions Options);

internal sealed record KVGetResult(byte[]? Value);

internal sealed record PageParams(int Page, int PerPage);

internal sealed record IdParams(string Id);

internal sealed record UsernameParams(string Username);

internal sealed record ChannelMemberParams(string ChannelId, string UserId);

internal sealed record ChannelMembersParams(string ChannelId, int Page, int PerPage);

internal sealed record DirectChannelParams(string UserId1, string UserId2);

internal sealed record EnsureBotParams(string Username, string DisplayName);

internal sealed record CreatePostParams(Post Post);

internal sealed record WebSocketEventParams(string Event, Dictionary<string, JsonElement> Payload, WebSocketBroadcast Broadcast);
