using System.Text.Json.Nodes;
using Npgsql;

namespace Chat.IntegrationTests;

/// <summary>
/// Reads the WebSocket events the api recorded in its outbox straight from the cluster_events table, in log order
/// ((txid, position), the order every reader follows).
/// </summary>
public sealed class RecordedEvents(string dataSource)
{
    /// <summary>The newest position now (of any topic: cache invalidations share the log); pass it as <c>after</c> to see only what was recorded since.</summary>
    public async Task<long> PositionAsync()
    {
        await using var connection = new NpgsqlConnection(dataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(max(position), 0) FROM cluster_events", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Every event after position <paramref name="after"/>, or only those whose payload contains
    /// <paramref name="mentioning"/> (an id, unique to its test).
    /// </summary>
    public async Task<List<RecordedEvent>> ReadAsync(long after = 0, string? mentioning = null)
    {
        await using var connection = new NpgsqlConnection(dataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT topic, type, data::text FROM cluster_events
            WHERE topic = 'websocket' AND position > $1 AND ($2::text IS NULL OR strpos(data::text, $2) > 0)
            ORDER BY txid, position
            """, connection)
        {
            Parameters = { new() { Value = after }, new() { Value = (object?)mentioning ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } },
        };
        var events = new List<RecordedEvent>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var message = JsonNode.Parse(reader.GetString(2))!;
            Assert.Equal("websocket", reader.GetString(0));
            Assert.Equal(reader.GetString(1), (string?)message["event"]);
            events.Add(new RecordedEvent(message));
        }
        return events;
    }

    public Task<List<RecordedEvent>> MentioningAsync(string id, long after = 0) => ReadAsync(after, id);
}

/// <summary>One recorded event: the Mattermost message plus the routing facts of services/realtime/DESIGN.md.</summary>
public sealed record RecordedEvent(JsonNode Message)
{
    public string Event => (string)Message["event"]!;

    public JsonNode Data => Message["data"]!;

    public JsonNode Broadcast => Message["broadcast"]!;

    /// <summary>data.post, which Mattermost sends as a JSON string.</summary>
    public JsonNode Post => JsonNode.Parse((string)Data["post"]!)!;

    /// <summary>The membership changes as "op user channel team" lines, for compact comparison.</summary>
    public List<string> Membership =>
        Message["membership"] is JsonArray changes
            ? [.. changes.Select(c => $"{(string?)c!["op"]} {(string?)c["user_id"]} {(string?)c["channel_id"]} {(string?)c["team_id"]}")]
            : [];

    /// <summary>Who gets it, as "user:…", "channel:…", "team:…" or "all", plus the users spared.</summary>
    public string Audience
    {
        get
        {
            var b = Broadcast;
            Assert.Equal(new[] { "omit_users", "user_id", "channel_id", "team_id", "connection_id", "omit_connection_id" }.Order(), b.AsObject().Select(p => p.Key).Order());
            Assert.Equal("", (string?)b["connection_id"]);
            Assert.Equal("", (string?)b["omit_connection_id"]);
            var to = (string?)b["user_id"] is { Length: > 0 } user ? $"user:{user}"
                : (string?)b["channel_id"] is { Length: > 0 } channel ? $"channel:{channel}"
                : (string?)b["team_id"] is { Length: > 0 } team ? $"team:{team}"
                : "all";
            return b["omit_users"] is JsonObject omit ? $"{to} omit:{string.Join(",", omit.Select(p => p.Key))}" : to;
        }
    }

    public override string ToString() => Message.ToJsonString();
}
