using System.Globalization;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class LimitsCollection : ICollectionFixture<LimitsFixture>
{
    public const string Name = "limits";
}

/// <summary>
/// Two api nodes and a realtime node with low per-address and per-user limits: LoginAndSignUpPerMinute 6 with a
/// burst of 2 (3 at once), 3 sockets per user, 2 unauthenticated sockets per address; the general limit off. Every
/// test client is 127.0.0.1, which the nodes trust as a proxy, so tests pose as other clients with X-Forwarded-For.
/// </summary>
public sealed class LimitsFixture : TestClusterFixture
{
    public const int AuthenticationsAtOnce = 3;
    public const int SocketsPerUser = 3;
    public const int UnauthenticatedSocketsPerAddress = 2;

    private int _nextAddress;

    public ServiceProcess Realtime => Cluster.Realtime[0];

    protected override TestClusterBuilder Build() =>
        TestCluster.Create("limits").WithApi(2).WithRealtime(1)
            .WithSetting("MM_RATELIMITSETTINGS_LOGINANDSIGNUPPERMINUTE", "6")
            .WithSetting("MM_RATELIMITSETTINGS_LOGINANDSIGNUPMAXBURST", (AuthenticationsAtOnce - 1).ToString(CultureInfo.InvariantCulture))
            .WithSetting("MM_SERVICESETTINGS_MAXIMUMWEBSOCKETCONNECTIONSPERUSER", SocketsPerUser.ToString(CultureInfo.InvariantCulture))
            .WithSetting("MM_SERVICESETTINGS_MAXIMUMUNAUTHENTICATEDWEBSOCKETCONNECTIONSPERADDRESS", UnauthenticatedSocketsPerAddress.ToString(CultureInfo.InvariantCulture));

    /// <summary>An address no other request of this run has used (TEST-NET-3 and beyond).</summary>
    public string NewAddress()
    {
        var n = Interlocked.Increment(ref _nextAddress);
        return $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}";
    }

    /// <summary>A client whose requests say, through X-Forwarded-For, that they come from <paramref name="address"/>.</summary>
    public static Task<ApiResponse> FromAsync(ApiClient client, string address, HttpMethod method, string path, object? body = null) =>
        client.SendAsync(method, path, body is null ? null : System.Net.Http.Json.JsonContent.Create(body, body.GetType(), options: ApiClient.Json),
            request => request.Headers.Add("X-Forwarded-For", address));

    /// <summary>A new user signed up and logged in from an address of its own: (token, user id).</summary>
    public async Task<(string Token, string UserId)> NewUserAsync(ServiceProcess node)
    {
        var address = NewAddress();
        var anonymous = Anonymous(node);
        var username = Unique.Username("lim");
        (await FromAsync(anonymous, address, HttpMethod.Post, "/api/v4/users", new { Username = username, Email = $"{username}@example.com", Password = ApiClient.DefaultPassword })).Expect(201);
        var login = (await FromAsync(anonymous, address, HttpMethod.Post, "/api/v4/users/login", new { LoginId = username, Password = ApiClient.DefaultPassword })).Expect(200);
        return (login.Header("Token")!, (string)login.Json["id"]!);
    }

    public static JsonNode Error(ApiResponse response) => response.Expect(429).Json;
}
