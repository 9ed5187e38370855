using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Chat.ClientEvents;
using Chat.Realtime.Delivery;
using Chat.ServiceDefaults;

namespace Chat.Realtime.Connections;

/// <summary>The messages a client gets that are not log events: action replies and the hello.</summary>
internal static class Replies
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>{"status":"OK","seq_reply":N}</c></summary>
    public static byte[] Ok(long seq) => Write(w =>
    {
        w.WriteString("status", "OK");
        w.WriteNumber("seq_reply", seq);
    });

    /// <summary>The reply to the ping action.</summary>
    public static byte[] Pong(long seq, NodeInfo node) => Write(w =>
    {
        w.WriteString("status", "OK");
        w.WriteNumber("seq_reply", seq);
        w.WriteStartObject("data");
        w.WriteString("node_id", node.NodeId);
        w.WriteNumber("server_time", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        w.WriteString("text", "pong");
        w.WriteString("version", node.Version);
        w.WriteEndObject();
    });

    /// <summary>A failed action: the AppError in "error".</summary>
    public static byte[] Error(long seq, int status, string id, string message) => Write(w =>
    {
        w.WriteString("status", "FAIL");
        w.WriteNumber("seq_reply", seq);
        w.WriteStartObject("error");
        w.WriteString("id", id);
        w.WriteString("message", message);
        w.WriteString("detailed_error", "");
        w.WriteString("request_id", "");
        w.WriteNumber("status_code", status);
        w.WriteEndObject();
    });

    /// <summary>The first message of a new connection (seq 0): its id, which the client sends back to resume.</summary>
    public static byte[] Hello(string connectionId, string userId, NodeInfo node) => Write(w =>
    {
        w.WriteString("event", WebSocketEvents.Hello.Name);
        w.WriteStartObject("data");
        w.WriteString("connection_id", connectionId);
        w.WriteString("server_hostname", node.Hostname);
        w.WriteString("server_version", node.VersionHeader);
        w.WriteEndObject();
        w.WritePropertyName("broadcast");
        WebSocketEvent.WriteBroadcast(w, Broadcast.Everyone with { UserId = userId });
        w.WriteNumber("seq", 0);
    });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
