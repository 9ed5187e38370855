using System.Text.Json.Serialization;

namespace Chat.ClientEvents;

/// <summary>
/// A logged WebSocket event (services/realtime/DESIGN.md has the JSON): the message a Mattermost client receives
/// ({event, data, broadcast}) plus the routing facts a realtime node strips before sending it.
/// </summary>
public sealed record WebSocketMessage(string Event, object Data, Broadcast Broadcast)
{
    /// <summary>The membership changes of the event's transaction, applied before the audience is chosen.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<MembershipChange>? Membership { get; init; }

    /// <summary>A session whose sockets to close.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RevokedSession? Session { get; init; }

    /// <summary>
    /// The users the event mentions (a post's): each of their connections gets data.mentions, a JSON string of a
    /// list holding only their own id, as Mattermost's broadcast hook adds it; everybody else gets no mentions.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Mentions { get; init; }
}

/// <summary>
/// Mattermost's broadcast: the first of connection, user, channel and team that is set picks the audience; none is
/// everyone. <see cref="OmitUsers"/> is Mattermost's map {user id: true}; null when nobody is left out.
/// </summary>
public sealed record Broadcast
{
    public static readonly Broadcast Everyone = new();

    public IReadOnlyDictionary<string, bool>? OmitUsers { get; init; }
    public string UserId { get; init; } = "";
    public string ChannelId { get; init; } = "";
    public string TeamId { get; init; } = "";
    public string ConnectionId { get; init; } = "";
    public string OmitConnectionId { get; init; } = "";
}

/// <summary>One membership change: <see cref="Op"/> is one of the constants below; ids that do not apply are empty.</summary>
public sealed record MembershipChange(string Op, string UserId, string ChannelId, string TeamId)
{
    public const string JoinChannel = "join_channel";
    public const string LeaveChannel = "leave_channel";
    public const string JoinTeam = "join_team";
    public const string LeaveTeam = "leave_team";
}

public sealed record RevokedSession(string RevokedSessionId);
