using System.Net;

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
/// decoded with code generated from Otlp/trace.proto, the part of OTLP's schema the tests read.
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

    public static List<ExportedSpan> Decode(byte[] request) =>
        Otlp.ExportTraceServiceRequest.Parser.ParseFrom(request).ResourceSpans
            .SelectMany(resource =>
            {
                var service = Text(resource.Resource?.Attributes ?? []).GetValueOrDefault("service.name", "");
                return resource.ScopeSpans.SelectMany(scope => scope.Spans).Select(span => new ExportedSpan(
                    service,
                    Convert.ToHexStringLower(span.TraceId.Span),
                    Convert.ToHexStringLower(span.SpanId.Span),
                    Convert.ToHexStringLower(span.ParentSpanId.Span),
                    span.Name,
                    span.Kind,
                    Text(span.Attributes)));
            })
            .ToList();

    private static Dictionary<string, string> Text(IEnumerable<Otlp.KeyValue> attributes) =>
        attributes.DistinctBy(a => a.Key).ToDictionary(a => a.Key, a => a.Value?.ValueCase switch
        {
            Otlp.AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
            Otlp.AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue.ToString(),
            Otlp.AnyValue.ValueOneofCase.IntValue => a.Value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Otlp.AnyValue.ValueOneofCase.DoubleValue => a.Value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "",
        }, StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await serving;
    }
}
