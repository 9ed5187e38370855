using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Testing;

/// <summary>
/// A Mattermost API v4 caller bound to one node and (after login) one session. Requests go through a shared
/// HttpClient; the token travels in the Authorization header of each request, so clients never mix sessions.
/// </summary>
public sealed class ApiClient(HttpClient http, string baseUrl)
{
    public const string DefaultPassword = "correct-horse-battery";

    /// <summary>The wire format: snake_case names, so anonymous objects can use C# names.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public HttpClient Http { get; } = http;

    public string BaseUrl { get; } = baseUrl.TrimEnd('/');

    public string? Token { get; set; }

    public string? UserId { get; private set; }

    public string? Username { get; private set; }

    /// <summary>The same session against another node.</summary>
    public ApiClient On(string baseUrl) => new(Http, baseUrl) { Token = Token, UserId = UserId, Username = Username };

    /// <summary>An anonymous client for the same node.</summary>
    public ApiClient Anonymous() => new(Http, BaseUrl);

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<ApiResponse> PostAsync(string path, object? body) => SendAsync(HttpMethod.Post, path, body);

    public Task<ApiResponse> PutAsync(string path, object? body) => SendAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body = null) =>
        SendAsync(method, path, body is null ? null : JsonContent.Create(body, body.GetType(), options: Json));

    /// <summary>Sends any content (malformed JSON, odd media types) and lets <paramref name="configure"/> adjust headers.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, BaseUrl + path) { Content = content };
        if (Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }
        configure?.Invoke(request);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse($"{method} {path}", (int)response.StatusCode, response.Headers, response.Content.Headers, text);
    }

    public static StringContent RawJson(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>Signs a new user up through this client's node (anonymously, or as this client if logged in).</summary>
    public async Task<JsonNode> CreateUserAsync(string username, string password = DefaultPassword)
    {
        var response = await PostAsync("/api/v4/users", new { Username = username, Email = $"{username}@example.com", Password = password });
        return response.Expect(201).Json;
    }

    /// <summary>Logs in and keeps the session token for the following requests.</summary>
    public async Task<JsonNode> LoginAsync(string loginId, string password = DefaultPassword)
    {
        var response = (await PostAsync("/api/v4/users/login", new { LoginId = loginId, Password = password })).Expect(200);
        Token = response.Header("Token") ?? throw new ApiResponseException("Login answered without a Token header.");
        var user = response.Json;
        UserId = (string)user["id"]!;
        Username = (string)user["username"]!;
        return user;
    }

    /// <summary>A new user signed up and logged in on <paramref name="baseUrl"/>.</summary>
    public static async Task<ApiClient> NewUserAsync(HttpClient http, string baseUrl, string? username = null)
    {
        var client = new ApiClient(http, baseUrl);
        var name = username ?? Unique.Username();
        await client.CreateUserAsync(name);
        await client.LoginAsync(name);
        return client;
    }
}

/// <summary>A finished request: status, headers and body, read fully so it can be inspected any number of times.</summary>
public sealed class ApiResponse(string request, int status, HttpResponseHeaders headers, HttpContentHeaders contentHeaders, string body)
{
    public string Request { get; } = request;

    public int Status { get; } = status;

    public HttpResponseHeaders Headers { get; } = headers;

    public HttpContentHeaders ContentHeaders { get; } = contentHeaders;

    public string Body { get; } = body;

    public JsonNode Json => JsonNode.Parse(Body) ?? throw new ApiResponseException($"{Request} answered JSON null.");

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    /// <summary>Throws, with the body, unless the status is <paramref name="status"/>.</summary>
    public ApiResponse Expect(int status) =>
        Status == status ? this : throw new ApiResponseException($"{Request} answered {Status}, expected {status}: {Body}");

    public override string ToString() => $"{Request} → {Status} {Body}";
}

public sealed class ApiResponseException(string message) : Exception(message);

/// <summary>Names no other test (or earlier run on a shared database) has used.</summary>
public static class Unique
{
    public static string Suffix() => Guid.NewGuid().ToString("N")[..10];

    /// <summary>3 to 22 characters, starting with a letter, as usernames must.</summary>
    public static string Username(string prefix = "u") => prefix + Suffix();

    public static string TeamName(string prefix = "team") => $"{prefix}-{Suffix()}";

    public static string ChannelName(string prefix = "chan") => $"{prefix}-{Suffix()}";
}
