using System.Net;
using System.Net.Http.Headers;
using Chat.Load.Api;
using Chat.Load.Baseline;
using Chat.Load.Measurement;
using static Chat.Load.Measurement.LoadResult;

namespace Chat.Load.Scenarios;

/// <summary>
/// Durable posting throughput: N users, each in one of N/K public channels shared by K users ("busy rooms",
/// so channel rows see the same concurrent updates they would in a real team), post as fast as the cluster
/// answers. Then the same PostgreSQL server's raw INSERT+COMMIT rate at the same concurrency, for the ratio.
/// </summary>
public static class PostsScenario
{
    private const string Team = "load-bench";
    private const int SetupParallelism = 4;

    public static async Task<int> RunAsync(LoadOptions options)
    {
        var clients = options.Clients;
        var perChannel = options.ClientsPerChannel;
        using var http = ChatApi.CreateHttpClient(options.Url, clients);
        var api = new ChatApi(http);

        Console.WriteLine($"setup: {clients} users, team {Team}, {ChannelCount(options)} channels through {options.Url}");
        var users = new LoadUser[clients];
        await ForEachAsync(clients, async i => users[i] = await api.SignUpOrLoginAsync($"load-user-{i:d3}"));
        var teamId = await api.EnsureTeamAsync(users[0], Team);
        await ForEachAsync(clients, i => api.JoinTeamAsync(users[i], teamId));
        var channels = new string[ChannelCount(options)];
        await ForEachAsync(channels.Length, async c => channels[c] = await api.EnsureChannelAsync(users[0], teamId, $"load-posts-{c:d3}"));
        await ForEachAsync(clients, i => api.JoinChannelAsync(users[i], channels[i / perChannel]));

        Console.WriteLine(Invariant($"load: {clients} clients posting, {perChannel} per channel, {options.Warmup.TotalSeconds:F0} s warm-up, {options.Duration.TotalSeconds:F0} s measured"));
        var sequence = new long[clients];
        var posts = await ClosedLoop.RunAsync(clients, options.Warmup, options.Duration,
            client => CreatePostAsync(http, users[client], channels[client / perChannel], ++sequence[client]));
        posts.Print("posts");

        Console.WriteLine($"baseline: single-row INSERT+COMMIT into a scratch table, {clients} connections");
        var baseline = await InsertBaseline.RunAsync(options.Database, clients, options.Warmup, options.Duration);
        baseline.Print("inserts");

        var ratio = baseline.PerSecond > 0 ? posts.PerSecond / baseline.PerSecond : 0;
        Console.WriteLine(Invariant($"posts: {posts.PerSecond:F0} p99={posts.PercentileMs(99):F1} baseline={baseline.PerSecond:F0} ratio={ratio:F2}"));
        return posts.FailureCount == 0 && baseline.FailureCount == 0 ? 0 : 1;
    }

    private static int ChannelCount(LoadOptions options) => (options.Clients + options.ClientsPerChannel - 1) / options.ClientsPerChannel;

    private static async Task<string?> CreatePostAsync(HttpClient http, LoadUser user, string channelId, long n)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v4/posts")
        {
            Content = ChatApi.JsonBody(new { channel_id = channelId, message = $"load post {n} from {user.Username}" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return null;
        }
        return $"HTTP {(int)response.StatusCode} {ChatApi.ErrorId(await ChatApi.ReadAsync(response))}";
    }

    // Sign-up and login hash passwords (~100 ms of server CPU each): a few at a time keeps setup short without starving the nodes.
    private static Task ForEachAsync(int count, Func<int, Task> step) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = SetupParallelism }, async (i, _) => await step(i));
}
