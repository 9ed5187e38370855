using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Chat.ClusterTool;

/// <summary>Mattermost's PluginStatus: one per live api node and plugin.</summary>
public sealed record PluginStatus(string PluginId, string ClusterId, int State, string? Error)
{
    /// <summary>Mattermost's PluginStateRunning.</summary>
    public const int Running = 2;
}

/// <summary>The REST API v4 calls the launcher makes through the edge, signed in as one user (bearer token).</summary>
public sealed class ChatClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    // A sign-in that takes longer means the cluster is not serving.
    private static readonly TimeSpan AccountCallTimeout = TimeSpan.FromSeconds(30);

    private string? token;

    /// <summary>An upload of a large bundle may take a while; nothing else should.</summary>
    public static HttpClient CreateHttpClient(Uri edge) =>
        new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(edge, "api/v4/"), Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>Signs in; false when the credentials are refused.</summary>
    public async Task<bool> LoginAsync(string loginId, string password, CancellationToken cancel)
    {
        using var timeout = Timeout(cancel);
        using var response = await http.PostAsJsonAsync("users/login", new { login_id = loginId, password }, Json, timeout.Token);
        token = response.IsSuccessStatusCode && response.Headers.TryGetValues("Token", out var tokens) ? tokens.FirstOrDefault() : null;
        return token is not null;
    }

    /// <summary>Open sign-up; whether it was accepted shows at the next sign-in.</summary>
    public async Task SignUpAsync(string username, string email, string password, CancellationToken cancel)
    {
        using var timeout = Timeout(cancel);
        using var response = await http.PostAsJsonAsync("users", new { username, email, password }, Json, timeout.Token);
    }

    public async Task<IReadOnlyList<string>> GetMyRolesAsync(CancellationToken cancel)
    {
        var me = await SendAsync<JsonElement>(HttpMethod.Get, "users/me", null, "reading the signed-in user", cancel);
        return me.GetProperty("roles").GetString()?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
    }

    /// <summary>The ids of every installed plugin, enabled or not.</summary>
    public async Task<IReadOnlySet<string>> GetPluginIdsAsync(CancellationToken cancel)
    {
        var plugins = await SendAsync<Dictionary<string, JsonElement[]>>(HttpMethod.Get, "plugins", null, "listing the plugins", cancel);
        return plugins.Values.SelectMany(list => list).Select(manifest => manifest.GetProperty("id").GetString()!).ToHashSet();
    }

    /// <summary>Installs or replaces (force) a bundle; it is installed disabled.</summary>
    public async Task UploadPluginAsync(string id, FileInfo bundle, CancellationToken cancel)
    {
        await using var file = bundle.OpenRead();
        using var form = new MultipartFormDataContent
        {
            { new StreamContent(file), "plugin", bundle.Name },
            { new StringContent("true"), "force" },
        };
        await SendAsync<JsonElement>(HttpMethod.Post, "plugins", form, $"installing {id}", cancel);
    }

    public Task EnablePluginAsync(string id, CancellationToken cancel) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"plugins/{id}/enable", null, $"enabling {id}", cancel);

    public Task<PluginStatus[]> GetPluginStatusesAsync(CancellationToken cancel) =>
        SendAsync<PluginStatus[]>(HttpMethod.Get, "plugins/statuses", null, "reading the plugin statuses", cancel);

    private static CancellationTokenSource Timeout(CancellationToken cancel)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(AccountCallTimeout);
        return timeout;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, string what, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancel);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancel);
            throw new ClusterToolException($"{what} failed: HTTP {(int)response.StatusCode} {body}");
        }
        return await response.Content.ReadFromJsonAsync<T>(Json, cancel)
            ?? throw new ClusterToolException($"{what}: the answer was empty");
    }
}
