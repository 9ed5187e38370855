using System.Text;
using System.Text.Json;

namespace Chat.Plugins.Sdk;

/// <summary>
/// A request to <c>/plugins/{id}/…</c> on any api node. <see cref="Path"/> is the part after <c>/plugins/{id}</c>
/// (at least "/"). The node authenticates the caller as for any API request and sets <c>Mattermost-User-Id</c>
/// only for an authenticated caller (a client cannot set it); session tokens and cookies are not passed on.
/// </summary>
public sealed record PluginHttpRequest
{
    public const string UserIdHeader = "Mattermost-User-Id";

    public string Method { get; init; } = "GET";
    public string Path { get; init; } = "/";
    /// <summary>The query string with its leading '?', or "".</summary>
    public string QueryString { get; init; } = "";
    /// <summary>Header names in lower case.</summary>
    public Dictionary<string, string[]> Headers { get; init; } = [];
    public byte[] Body { get; init; } = [];

    /// <summary>The authenticated caller's user id, or null for an anonymous request.</summary>
    public string? UserId => Header(UserIdHeader) is { Length: > 0 } id ? id : null;

    public string? Header(string name) =>
        Headers.TryGetValue(name.ToLowerInvariant(), out var values) && values.Length > 0 ? values[0] : null;

    /// <summary>The body as JSON (snake_case names), or null when it is empty or not valid JSON for <typeparamref name="T"/>.</summary>
    public T? ReadJson<T>()
    {
        if (Body.Length == 0)
        {
            return default;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(Body, Protocol.RpcJson.Options);
        }
        catch (JsonException)
        {
            return default;
        }
    }
}

/// <summary>A plugin's answer to an HTTP request; the node sends it as it is (bodies of up to a few megabytes).</summary>
public sealed record PluginHttpResponse
{
    public int StatusCode { get; init; } = 200;
    public Dictionary<string, string[]> Headers { get; init; } = [];
    public byte[] Body { get; init; } = [];

    /// <summary>A JSON body (snake_case names).</summary>
    public static PluginHttpResponse Json(object value, int statusCode = 200) => new()
    {
        StatusCode = statusCode,
        Headers = new() { ["content-type"] = ["application/json"] },
        Body = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Protocol.RpcJson.Options),
    };

    public static PluginHttpResponse Text(string text, int statusCode = 200) => new()
    {
        StatusCode = statusCode,
        Headers = new() { ["content-type"] = ["text/plain; charset=utf-8"] },
        Body = Encoding.UTF8.GetBytes(text),
    };

    /// <summary>An error in Mattermost's AppError shape, naming the request (the node's X-Request-Id).</summary>
    public static PluginHttpResponse Error(PluginContext context, int statusCode, string id, string message) =>
        Json(new { id, message, detailed_error = "", request_id = context.RequestId, status_code = statusCode }, statusCode);

    public static PluginHttpResponse NotFound(PluginContext context) => Error(context, 404, "plugin.http.not_found", "Not found.");
}
