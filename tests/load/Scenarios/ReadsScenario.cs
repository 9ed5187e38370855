using System.Net.Http.Headers;
using Chat.Load.Api;
using Chat.Load.Measurement;
using static Chat.Load.Measurement.LoadResult;

namespace Chat.Load.Scenarios;

/// <summary>
/// Read throughput of a replica-routed list (GET /api/v4/users, 100 profiles a page): N users read as fast as the
/// cluster answers. Run it with and without replicas (deploy/local/cluster stop db-replica-1) to compare. When the
/// first user is a system admin (a fresh cluster), it also prints where each api node sent its reads.
/// </summary>
public static class ReadsScenario
{
    public static async Task<int> RunAsync(LoadOptions options)
    {
        var clients = options.Clients;
        using var http = ChatApi.CreateHttpClient(options.Url, clients);
        var api = new ChatApi(http);
        Console.WriteLine($"setup: {clients} users through {options.Url}");
        var users = new LoadUser[clients];
        for (var i = 0; i < clients; i++)
        {
            users[i] = await api.SignUpOrLoginAsync($"load-reader-{i:d3}");
        }
        var before = await RoutingAsync(http, users[0]);
        Console.WriteLine(Invariant($"load: {clients} clients reading, {options.Warmup.TotalSeconds:F0} s warm-up (longer than the read-your-writes window after sign-in), {options.Duration.TotalSeconds:F0} s measured"));
        var reads = await ClosedLoop.RunAsync(clients, options.Warmup, options.Duration, client => ReadAsync(http, users[client]));
        reads.Print("reads");
        var after = await RoutingAsync(http, users[0]);
        foreach (var (node, pools) in after)
        {
            var line = string.Join(", ", pools.Select(p => Invariant($"{p.Key} {p.Value - before.GetValueOrDefault(node)?.GetValueOrDefault(p.Key):F0}")));
            Console.WriteLine($"  {node}: reads by pool during the run: {line}");
        }
        return reads.FailureCount == 0 ? 0 : 1;
    }

    private static async Task<string?> ReadAsync(HttpClient http, LoadUser user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v4/users?page=0&per_page=100");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        using var response = await http.SendAsync(request);
        await response.Content.CopyToAsync(Stream.Null);
        return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
    }

    /// <summary>Per api node (X-Cluster-Id), reads per pool so far; empty unless the user is a system admin.</summary>
    private static async Task<Dictionary<string, Dictionary<string, long>>> RoutingAsync(HttpClient http, LoadUser admin)
    {
        var nodes = new Dictionary<string, Dictionary<string, long>>();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v4/database/routing");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin.Token);
            using var response = await http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                return nodes;
            }
            var body = await ChatApi.ReadAsync(response);
            var pools = new Dictionary<string, long> { ["primary"] = body.GetProperty("primary").GetProperty("reads").GetInt64() };
            foreach (var replica in body.GetProperty("replicas").EnumerateArray())
            {
                pools[replica.GetProperty("name").GetString()!] = replica.GetProperty("reads").GetInt64();
            }
            nodes[response.Headers.TryGetValues("X-Cluster-Id", out var id) ? id.First() : "?"] = pools;
        }
        return nodes;
    }
}
