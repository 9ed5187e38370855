using System.Collections.Frozen;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;

namespace Chat.Realtime.Delivery;

/// <summary>
/// One event of the log's websocket topic, parsed once per node and shared by every connection it goes to: the
/// client message (everything but the seq, pre-serialised), its audience and the routing facts its producer
/// recorded with it (membership changes, a revoked session). The shapes are Chat.ClientEvents' (DESIGN.md has the
/// JSON); the parsing is lenient, so that every node ignores a malformed part alike.
/// </summary>
internal sealed class WebSocketEvent
{
    private static readonly byte[] SeqProperty = Encoding.UTF8.GetBytes(",\"seq\":");

    private WebSocketEvent(EventCursor cursor, string name, Broadcast broadcast, IReadOnlyList<MembershipChange> membership, string? revokedSessionId, byte[] prefix, int dataEnd, FrozenSet<string> mentions)
    {
        Cursor = cursor;
        SendSpanName = "websocket send " + name;
        Name = name;
        Broadcast = broadcast;
        Membership = membership;
        RevokedSessionId = revokedSessionId;
        Prefix = prefix;
        this.dataEnd = dataEnd;
        this.mentions = mentions;
    }

    // Where the data object's closing brace is in Prefix: a mentioned user's copy gets data.mentions inserted there.
    private readonly int dataEnd;
    private readonly FrozenSet<string> mentions;

    public EventCursor Cursor { get; }
    public string Name { get; }
    public Broadcast Broadcast { get; }
    public IReadOnlyList<MembershipChange> Membership { get; }
    public string? RevokedSessionId { get; }

    /// <summary>The log's event id, for telemetry.</summary>
    public string Id { get; private init; } = "";

    /// <summary>The trace of the change that caused the event (its traceparent); default when it carried none.</summary>
    public ActivityContext TraceContext { get; private init; }

    public string SendSpanName { get; }

    /// <summary>The client message up to its seq: <c>{"event":…,"data":…,"broadcast":…,"seq":</c> (without data.mentions).</summary>
    public byte[] Prefix { get; }

    /// <summary>The users whose copies carry data.mentions (a post's mentioned users).</summary>
    public IReadOnlySet<string> Mentions => mentions;

    /// <summary>Typing indicators are ephemeral: the first thing a full send queue drops.</summary>
    public bool IsTyping => Name == WebSocketEvents.Typing.Name;

    /// <summary>Mattermost's rules: connection, else user, else channel members, else team members, else everyone; minus the omitted.</summary>
    public bool IsFor(string connectionId, string userId, Membership membership)
    {
        var b = Broadcast;
        if (b.OmitConnectionId.Length > 0 && b.OmitConnectionId == connectionId || b.OmitUsers is { } omit && omit.GetValueOrDefault(userId))
        {
            return false;
        }
        if (b.ConnectionId.Length > 0)
        {
            return b.ConnectionId == connectionId;
        }
        if (b.UserId.Length > 0)
        {
            return b.UserId == userId;
        }
        if (b.ChannelId.Length > 0)
        {
            return membership.Channels.ContainsKey(b.ChannelId);
        }
        if (b.TeamId.Length > 0)
        {
            return membership.Teams.Contains(b.TeamId);
        }
        return true;
    }

    /// <summary>
    /// Parses a logged event; null when it is not a WebSocket message (then every node ignores it alike, so
    /// numbering stays the same everywhere).
    /// </summary>
    public static WebSocketEvent? Parse(LoggedEvent logged)
    {
        var root = logged.Event.Data;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var name = root.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : logged.Event.Type;
        if (name.Length == 0)
        {
            return null;
        }
        var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var broadcast = root.TryGetProperty("broadcast", out var b) && b.ValueKind == JsonValueKind.Object ? ParseBroadcast(b) : Broadcast.Everyone;
        var membership = root.TryGetProperty("membership", out var m) && m.ValueKind == JsonValueKind.Array ? ParseMembership(m) : [];
        var revoked = root.TryGetProperty("session", out var s) && s.ValueKind == JsonValueKind.Object
            && s.TryGetProperty("revoked_session_id", out var r) && r.ValueKind == JsonValueKind.String && r.GetString()!.Length > 0
            ? r.GetString() : null;
        var mentions = root.TryGetProperty("mentions", out var mm) && mm.ValueKind == JsonValueKind.Array
            ? mm.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToFrozenSet(StringComparer.Ordinal)
            : FrozenSet<string>.Empty;
        ActivityContext.TryParse(logged.Event.TraceParent, null, out var trace);
        var (prefix, dataEnd) = SerializePrefix(name, data, broadcast);
        return new WebSocketEvent(logged.Cursor, name, broadcast, membership, revoked, prefix, dataEnd, mentions)
        {
            Id = logged.Event.Id,
            TraceContext = trace,
        };
    }

    /// <summary>
    /// The whole client message with its seq as <paramref name="userId"/>'s connection gets it, written into
    /// <paramref name="buffer"/>; returns its length. A mentioned user's copy has data.mentions: <c>"[\"their id\"]"</c>.
    /// </summary>
    public int Format(long seq, string userId, byte[] buffer)
    {
        int length;
        if (mentions.Contains(userId))
        {
            Prefix.AsSpan(0, dataEnd).CopyTo(buffer);
            length = dataEnd;
            length += Encoding.UTF8.GetBytes(MentionsProperty(userId, dataIsEmpty: Prefix[dataEnd - 1] == (byte)'{'), buffer.AsSpan(length));
            Prefix.AsSpan(dataEnd).CopyTo(buffer.AsSpan(length));
            length += Prefix.Length - dataEnd;
        }
        else
        {
            Prefix.CopyTo(buffer, 0);
            length = Prefix.Length;
        }
        System.Buffers.Text.Utf8Formatter.TryFormat(seq, buffer.AsSpan(length), out var digits);
        length += digits;
        buffer[length++] = (byte)'}';
        return length;
    }

    /// <summary>Room <see cref="Format"/> needs for <paramref name="userId"/>'s copy.</summary>
    public int MaxLengthFor(string userId) =>
        Prefix.Length + 21 + (mentions.Contains(userId) ? Encoding.UTF8.GetMaxByteCount(MentionsProperty(userId, dataIsEmpty: false).Length) : 0);

    // Ids are [a-z0-9], so the JSON string needs no escaping beyond the quotes of the list inside it.
    private static string MentionsProperty(string userId, bool dataIsEmpty) =>
        (dataIsEmpty ? "" : ",") + "\"mentions\":\"[\\\"" + userId + "\\\"]\"";

    private static Broadcast ParseBroadcast(JsonElement b)
    {
        string Text(string name) => b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var omit = new HashSet<string>(StringComparer.Ordinal);
        if (b.TryGetProperty("omit_users", out var o))
        {
            // Mattermost sends a map {user id: true}; a plain list of ids is accepted too.
            if (o.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in o.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.True)
                    {
                        omit.Add(p.Name);
                    }
                }
            }
            else if (o.ValueKind == JsonValueKind.Array)
            {
                omit.UnionWith(o.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!));
            }
        }
        return new Broadcast
        {
            OmitUsers = omit.Count == 0 ? null : omit.ToFrozenDictionary(u => u, _ => true, StringComparer.Ordinal),
            UserId = Text("user_id"),
            ChannelId = Text("channel_id"),
            TeamId = Text("team_id"),
            ConnectionId = Text("connection_id"),
            OmitConnectionId = Text("omit_connection_id"),
        };
    }

    private static List<MembershipChange> ParseMembership(JsonElement list)
    {
        var changes = new List<MembershipChange>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            string Text(string name) => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            var change = new MembershipChange(Text("op"), Text("user_id"), Text("channel_id"), Text("team_id"));
            var valid = change.UserId.Length > 0 && change.Op switch
            {
                MembershipChange.JoinChannel or MembershipChange.LeaveChannel => change.ChannelId.Length > 0,
                MembershipChange.JoinTeam or MembershipChange.LeaveTeam => change.TeamId.Length > 0,
                _ => false,
            };
            if (valid)
            {
                changes.Add(change);
            }
        }
        return changes;
    }

    /// <summary>The message up to its seq, and the offset of the data object's closing brace in it.</summary>
    private static (byte[] Prefix, int DataEnd) SerializePrefix(string name, JsonElement data, Broadcast broadcast)
    {
        using var stream = new MemoryStream();
        int dataEnd;
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("event", name);
            writer.WritePropertyName("data");
            writer.WriteStartObject();
            if (data.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in data.EnumerateObject())
                {
                    property.WriteTo(writer);
                }
            }
            writer.Flush();
            dataEnd = (int)stream.Length;
            writer.WriteEndObject();
            writer.WritePropertyName("broadcast");
            WriteBroadcast(writer, broadcast);
            // Left open: the seq and the closing brace are added per connection.
        }
        stream.Write(SeqProperty);
        return (stream.ToArray(), dataEnd);
    }

    public static void WriteBroadcast(Utf8JsonWriter writer, Broadcast b)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("omit_users");
        var omitted = b.OmitUsers?.Where(u => u.Value).Select(u => u.Key).Order(StringComparer.Ordinal).ToList();
        if (omitted is not { Count: > 0 })
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStartObject();
            foreach (var user in omitted)
            {
                writer.WriteBoolean(user, true);
            }
            writer.WriteEndObject();
        }
        writer.WriteString("user_id", b.UserId);
        writer.WriteString("channel_id", b.ChannelId);
        writer.WriteString("team_id", b.TeamId);
        writer.WriteString("connection_id", b.ConnectionId);
        writer.WriteString("omit_connection_id", b.OmitConnectionId);
        writer.WriteEndObject();
    }
}
