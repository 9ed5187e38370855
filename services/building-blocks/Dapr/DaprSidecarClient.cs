using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.BuildingBlocks.PubSub.Dapr;

namespace Chat.BuildingBlocks.Dapr;

/// <summary>
/// Our own thin client for the Dapr sidecar's HTTP API v1.0 (no Dapr SDK). Every call carries dapr-api-token
/// when DAPR_API_TOKEN is set. Each provider builds its calls on <see cref="SendAsync"/>.
/// </summary>
public sealed class DaprSidecarClient : IDisposable
{
    public const string TokenHeader = "dapr-api-token";

    /// <summary>Web defaults, without escaping '+', '&lt;' and the like as \u00XX: the bodies go to the sidecar, never into HTML.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerOptions.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly HttpClient http;
    private readonly DaprSidecarOptions options;

    public DaprSidecarClient(DaprSidecarOptions options)
    {
        this.options = options;
        http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = options.HttpEndpoint, Timeout = options.Timeout };
        if (options.ApiToken is { } token)
        {
            http.DefaultRequestHeaders.Add(TokenHeader, token);
        }
    }

    /// <summary>
    /// POST /v1.0/publish/{pubsubname}/{topic} with our own CloudEvent; the time to live travels as
    /// metadata.ttlInSeconds. The sidecar answers 204 once the broker has the message.
    /// </summary>
    public async Task PublishAsync(string pubSubName, ClusterEvent clusterEvent, CancellationToken cancellationToken)
    {
        var path = $"v1.0/publish/{Uri.EscapeDataString(pubSubName)}/{Uri.EscapeDataString(clusterEvent.Topic)}";
        if (clusterEvent.TimeToLive is { } ttl)
        {
            path += "?metadata.ttlInSeconds=" + Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(CloudEvents.Serialize(clusterEvent, options.AppId)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEvents.ContentType);
        if (clusterEvent.TraceParent is { } traceParent)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        }
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NoContent && !response.IsSuccessStatusCode)
        {
            throw new DaprException(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
    }

    /// <summary>
    /// Sends a call of another building block: JSON body (when given), dapr-api-token (a default header) and the
    /// current trace context as traceparent, so the sidecar's span joins the caller's trace.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        if (System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } activity)
        {
            request.Headers.TryAddWithoutValidation("traceparent", activity.Id);
        }
        configure?.Invoke(request);
        return await http.SendAsync(request, cancellationToken);
    }

    /// <summary>Throws <see cref="DaprException"/> unless the sidecar answered one of <paramref name="expected"/>.</summary>
    internal static async Task EnsureAsync(HttpResponseMessage response, CancellationToken cancellationToken, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            throw new DaprException(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
    }

    public void Dispose() => http.Dispose();
}

/// <summary>The sidecar refused a call; <see cref="Body"/> holds its error ({errorCode, message}).</summary>
public sealed class DaprException(HttpStatusCode statusCode, string body)
    : Exception($"The Dapr sidecar answered {(int)statusCode}: {body}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public string Body { get; } = body;
}

/// <summary>URL path segments for the sidecar.</summary>
internal static class DaprPath
{
    /// <summary>
    /// Escapes <paramref name="value"/> exactly as Go escapes a URL path (url.URL.EscapedPath): then the runtime
    /// keeps no raw path and its router hands over the decoded segment. Escaping more (Uri.EscapeDataString turns
    /// ':' and '+' into %3A and %2B) makes Go keep the raw path, and the router then hands over the segment still
    /// escaped: "a%3Ab" would become a different key from the "a:b" of a POST body. Callers refuse '/'.
    /// </summary>
    public static string Segment(string value)
    {
        var builder = new System.Text.StringBuilder(value.Length);
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || "-_.~$&+,/:;=@".Contains(c))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }
}
