using System.Net;
using System.Text;

namespace Chat.Testing;

/// <summary>One span as a service exported it over OTLP.</summary>
public sealed record ExportedSpan(
    string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes)
{
    public const int Server = 2;
    public const int Client = 3;
    public const int Producer = 4;
    public const int Consumer = 5;

    public override string ToString() => $"{Service} {Name} kind={Kind} trace={TraceId} span={SpanId} parent={ParentSpanId}";
}

/// <summary>
/// A minimal OTLP/HTTP receiver (protobuf, as the services' exporter sends with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf):
/// it keeps every span posted to /v1/traces and acknowledges everything else (metrics) unread. The protobuf is
/// decoded by hand, reading only the fields the tests look at (opentelemetry/proto/trace/v1/trace.proto).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly List<ExportedSpan> spans = [];
    private readonly Task serving;

    public OtlpReceiver()
    {
        Port = FreePort.Next();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<ExportedSpan> Spans
    {
        get
        {
            lock (spans)
            {
                return [.. spans];
            }
        }
    }

    /// <summary>Waits until the spans of <paramref name="traceId"/> satisfy <paramref name="complete"/>; returns them.</summary>
    public async Task<IReadOnlyList<ExportedSpan>> WaitForTraceAsync(string traceId, Func<IReadOnlyList<ExportedSpan>, bool> complete, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // OTLP export is at-least-once: an exporter whose request timed out on a busy machine sends the batch again.
            var trace = Spans.Where(s => s.TraceId == traceId).DistinctBy(s => s.SpanId).ToList();
            if (complete(trace))
            {
                return trace;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Trace {traceId} incomplete after {timeout}. Its spans:\n{string.Join('\n', trace)}\nAll spans received: {Spans.Count}");
            }
            await Task.Delay(100);
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                var decoded = Decode(body.ToArray());
                lock (spans)
                {
                    spans.AddRange(decoded);
                }
            }
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    /// <summary>ExportTraceServiceRequest: resource_spans = 1.</summary>
    public static List<ExportedSpan> Decode(byte[] request)
    {
        var result = new List<ExportedSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field == 1)
            {
                DecodeResourceSpans(resourceSpans, result);
            }
        }
        return result;
    }

    /// <summary>ResourceSpans: resource = 1 (attributes = 1), scope_spans = 2 (spans = 2).</summary>
    private static void DecodeResourceSpans(ReadOnlyMemory<byte> message, List<ExportedSpan> result)
    {
        var service = "";
        var scopeSpans = new List<ReadOnlyMemory<byte>>();
        foreach (var (field, value) in Fields(message))
        {
            if (field == 1)
            {
                service = Attributes(value, attributeField: 1).GetValueOrDefault("service.name", "");
            }
            else if (field == 2)
            {
                scopeSpans.Add(value);
            }
        }
        foreach (var scope in scopeSpans)
        {
            foreach (var (field, span) in Fields(scope))
            {
                if (field == 2)
                {
                    result.Add(DecodeSpan(service, span));
                }
            }
        }
    }

    /// <summary>Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, kind = 6, attributes = 9.</summary>
    private static ExportedSpan DecodeSpan(string service, ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parentId = "", name = "";
        var kind = 0;
        foreach (var (field, value, number) in FieldsWithNumbers(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value.Span); break;
                case 2: spanId = Convert.ToHexStringLower(value.Span); break;
                case 4: parentId = Convert.ToHexStringLower(value.Span); break;
                case 5: name = Encoding.UTF8.GetString(value.Span); break;
                case 6: kind = (int)number; break;
            }
        }
        return new ExportedSpan(service, traceId, spanId, parentId, name, kind, Attributes(span, attributeField: 9));
    }

    /// <summary>KeyValue: key = 1, value = 2 (AnyValue: string_value = 1, bool_value = 2, int_value = 3).</summary>
    private static Dictionary<string, string> Attributes(ReadOnlyMemory<byte> message, int attributeField)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, keyValue) in Fields(message))
        {
            if (field != attributeField)
            {
                continue;
            }
            string key = "", text = "";
            foreach (var (kvField, kvValue) in Fields(keyValue))
            {
                if (kvField == 1)
                {
                    key = Encoding.UTF8.GetString(kvValue.Span);
                }
                else if (kvField == 2)
                {
                    foreach (var (anyField, anyValue, number) in FieldsWithNumbers(kvValue))
                    {
                        text = anyField switch
                        {
                            1 => Encoding.UTF8.GetString(anyValue.Span),
                            2 => (number != 0).ToString(),
                            3 => ((long)number).ToString(System.Globalization.CultureInfo.InvariantCulture),
                            _ => text,
                        };
                    }
                }
            }
            attributes[key] = text;
        }
        return attributes;
    }

    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message) =>
        FieldsWithNumbers(message).Select(f => (f.Field, f.Value));

    /// <summary>The protobuf wire format: a varint key (field number, wire type), then a varint, 8 bytes, a length-prefixed run, or 4 bytes.</summary>
    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value, ulong Number)> FieldsWithNumbers(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message.Span, ref position);
            var field = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0:
                    yield return (field, ReadOnlyMemory<byte>.Empty, Varint(message.Span, ref position));
                    break;
                case 1:
                    yield return (field, message.Slice(position, 8), BitConverter.ToUInt64(message.Span.Slice(position, 8)));
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref position);
                    yield return (field, message.Slice(position, length), 0);
                    position += length;
                    break;
                case 5:
                    yield return (field, message.Slice(position, 4), BitConverter.ToUInt32(message.Span.Slice(position, 4)));
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type in key {key}.");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await serving;
    }
}
