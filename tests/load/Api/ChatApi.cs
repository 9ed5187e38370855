using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Chat.Load.Api;

public sealed record LoadUser(string Id, string Username, string Token);

/// <summary>
/// The REST v4 calls scenarios need to set up users, a team and channels. Every step is idempotent, so a
/// second run against the same cluster reuses what the first created instead of paying for it again.
/// </summary>
public sealed class ChatApi(HttpClient http)
{
    private const string Password = "load-password-1";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>One pooled HTTP/1.1 connection per client at most, as many real clients behind one edge would hold.</summary>
    public static HttpClient CreateHttpClient(Uri baseUrl, int clients) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            // Login sets cookies; a shared jar would attach one user's session cookie to every client's requests.
            UseCookies = false,
        })
        {
            BaseAddress = baseUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async Task<LoadUser> SignUpOrLoginAsync(string username)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "users", null, new { username, email = $"{username}@load.test", password = Password });
        if (status != HttpStatusCode.Created && ErrorId(body) != "app.user.save.username_exists.app_error")
        {
            throw Failed("sign up", status, body);
        }
        using var login = new HttpRequestMessage(HttpMethod.Post, "api/v4/users/login") { Content = JsonBody(new { login_id = username, password = Password }) };
        using var response = await http.SendAsync(login);
        var user = await ReadAsync(response);
        if (response.StatusCode != HttpStatusCode.OK || !response.Headers.TryGetValues("Token", out var tokens))
        {
            throw Failed($"log in {username}", response.StatusCode, user);
        }
        return new LoadUser(user.GetProperty("id").GetString()!, username, tokens.Single());
    }

    /// <summary>An open team anyone may join; found among the owner's teams when an earlier run created it.</summary>
    public async Task<string> EnsureTeamAsync(LoadUser owner, string name)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "teams", owner, new { name, display_name = name, type = "O", allow_open_invite = true });
        if (status == HttpStatusCode.Created)
        {
            return body.GetProperty("id").GetString()!;
        }
        return await FindByNameAsync(owner, "users/me/teams", name) ?? throw Failed($"create team {name}", status, body);
    }

    public async Task JoinTeamAsync(LoadUser user, string teamId)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, $"teams/{teamId}/members", user, new { team_id = teamId, user_id = user.Id });
        if (status != HttpStatusCode.Created)
        {
            throw Failed($"join team as {user.Username}", status, body);
        }
    }

    /// <summary>A public channel whose creator is its first member; found among the owner's channels on a re-run.</summary>
    public async Task<string> EnsureChannelAsync(LoadUser owner, string teamId, string name)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "channels", owner, new { team_id = teamId, name, display_name = name, type = "O" });
        if (status == HttpStatusCode.Created)
        {
            return body.GetProperty("id").GetString()!;
        }
        return await FindByNameAsync(owner, $"users/me/teams/{teamId}/channels", name) ?? throw Failed($"create channel {name}", status, body);
    }

    public async Task JoinChannelAsync(LoadUser user, string channelId)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, $"channels/{channelId}/members", user, new { user_id = user.Id });
        if (status != HttpStatusCode.Created)
        {
            throw Failed($"join channel as {user.Username}", status, body);
        }
    }

    /// <summary>A request body with its length known up front, as browsers and the official clients send it (no chunking).</summary>
    public static ByteArrayContent JsonBody<T>(T value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value));
        content.Headers.ContentType = Json;
        return content;
    }

    /// <summary>The AppError id of a failed response, to label failures by cause.</summary>
    public static string? ErrorId(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        try
        {
            return bytes.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(bytes);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private async Task<string?> FindByNameAsync(LoadUser owner, string path, string name)
    {
        var (status, list) = await SendAsync(HttpMethod.Get, path, owner, null);
        if (status != HttpStatusCode.OK)
        {
            throw Failed($"list {path}", status, list);
        }
        return list.EnumerateArray().Where(e => e.GetProperty("name").GetString() == name).Select(e => e.GetProperty("id").GetString()).FirstOrDefault();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, LoadUser? user, object? body)
    {
        using var request = new HttpRequestMessage(method, $"api/v4/{path}") { Content = body is null ? null : JsonBody(body) };
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await ReadAsync(response));
    }

    private static InvalidOperationException Failed(string what, HttpStatusCode status, JsonElement body) =>
        new($"Setup could not {what}: HTTP {(int)status} {(body.ValueKind == JsonValueKind.Undefined ? "" : body.GetRawText())}");
}
