using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Chat.Load.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static Chat.Load.Measurement.LoadResult;

namespace Chat.Load.Scenarios;

/// <summary>
/// WebSocket fan-out: C users (default 1,000; --quick 100), each in a 10-member channel and all in one shared
/// channel, each holding one Mattermost WebSocket through the edge (so spread over the realtime nodes). Posts go
/// through the api nodes at a fixed rate (--rate, default 100/s) to the 10-member channels, each delivered to its 10
/// members; every post carries its send time, so each delivery gives one end-to-end post→delivery latency. Then a
/// bare Kestrel WebSocket server in this process sends messages of the same size to the same number of connections
/// at the same rate, the baseline for deliveries/s. Memory per idle connection is the realtime processes' resident
/// memory growth (on this machine) per connection opened.
/// </summary>
public static class FanoutScenario
{
    private const string Team = "fanout-bench";
    private const int GroupSize = 10;
    private const int SetupParallelism = 4;

    public static async Task<int> RunAsync(LoadOptions options)
    {
        var count = options.ClientsGiven ? options.Clients : options.Quick ? 100 : 1000;
        count = Math.Max(GroupSize, count / GroupSize * GroupSize);
        var groups = count / GroupSize;
        using var http = ChatApi.CreateHttpClient(options.Url, 64);
        var api = new ChatApi(http);

        Console.WriteLine($"setup: {count} users, team {Team}, {groups} channels of {GroupSize} and one of all, through {options.Url}");
        var users = new LoadUser[count];
        await ForEachAsync(count, async i => users[i] = await api.SignUpOrLoginAsync($"fanout-user-{i:d4}"));
        var teamId = await api.EnsureTeamAsync(users[0], Team);
        await ForEachAsync(count, i => api.JoinTeamAsync(users[i], teamId));
        var shared = await api.EnsureChannelAsync(users[0], teamId, "fanout-all");
        var channels = new string[groups];
        await ForEachAsync(groups, async g => channels[g] = await api.EnsureChannelAsync(users[g * GroupSize], teamId, $"fanout-g{g:d3}"));
        await ForEachAsync(count, async i =>
        {
            await api.JoinChannelAsync(users[i], shared);
            await api.JoinChannelAsync(users[i], channels[i / GroupSize]);
        });

        var memoryBefore = RealtimeResidentKb();
        var socketUrl = new Uri($"{(options.Url.Scheme == "https" ? "wss" : "ws")}://{options.Url.Authority}/api/v4/websocket");
        var receivers = new Receiver[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            receivers[i] = await Receiver.ConnectAsync(socketUrl, users[i].Token));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var memoryAfter = RealtimeResidentKb();
        var memPerConnection = memoryBefore is { } b && memoryAfter is { } a ? (double?)Math.Max(0, a - b) / count : null;
        Console.WriteLine($"connected: {count} WebSockets; realtime resident memory {Kb(memoryBefore)} -> {Kb(memoryAfter)}");

        Console.WriteLine(Invariant($"load: {options.Rate} posts/s to the {GroupSize}-member channels, {options.Warmup.TotalSeconds:F0} s warm-up, {options.Duration.TotalSeconds:F0} s measured"));
        var failures = 0;
        var fanout = await MeasureAsync(receivers, options, groups, async (i, message) =>
        {
            var group = i % groups;
            var poster = users[group * GroupSize + i / groups % GroupSize];
            if (!await PostAsync(http, poster, channels[group], message))
            {
                Interlocked.Increment(ref failures);
            }
        });
        var messageSize = receivers.Select(r => r.LargestPosted).Max();
        await Task.WhenAll(receivers.Select(r => r.CloseAsync()));
        fanout.Print("posted");

        Console.WriteLine($"baseline: a bare Kestrel WebSocket server sending {messageSize}-byte messages to {count} connections, {GroupSize} per message");
        var baseline = await BaselineAsync(count, groups, messageSize, options);
        baseline.Print("baseline");

        var ratio = baseline.PerSecond > 0 ? fanout.PerSecond / baseline.PerSecond : 0;
        Console.WriteLine(Invariant($"fanout: p99={fanout.PercentileMs(99):F1} deliveries={fanout.PerSecond:F0} baseline={baseline.PerSecond:F0} ratio={ratio:F2} mem_per_conn={(memPerConnection is { } m ? m.ToString("F1", CultureInfo.InvariantCulture) : "n/a")}"));
        return failures == 0 && fanout.Missing == 0 ? 0 : 1;
    }

    /// <summary>
    /// Sends posts (through <paramref name="send"/>) at the fixed rate and collects every delivery of those sent
    /// after the warm-up; deliveries that never come are counted as missing.
    /// </summary>
    private static async Task<FanoutResult> MeasureAsync(Receiver[] receivers, LoadOptions options, int groups, Func<int, string, Task> send)
    {
        var total = (int)(options.Rate * (options.Warmup + options.Duration).TotalSeconds);
        var interval = Stopwatch.Frequency / options.Rate;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        foreach (var r in receivers)
        {
            r.MeasureFrom = measureFrom;
        }
        var sends = new List<Task>(total);
        var measured = 0;
        for (var i = 0; i < total; i++)
        {
            var due = start + i * interval;
            while (Stopwatch.GetTimestamp() < due)
            {
                var wait = TimeSpan.FromTicks((due - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                if (wait > TimeSpan.FromMilliseconds(2))
                {
                    await Task.Delay(wait - TimeSpan.FromMilliseconds(1));
                }
                else
                {
                    await Task.Yield();
                }
            }
            var sent = Stopwatch.GetTimestamp();
            if (sent >= measureFrom)
            {
                measured++;
            }
            sends.Add(send(i, string.Create(CultureInfo.InvariantCulture, $"fanout {sent}")));
        }
        await Task.WhenAll(sends);
        var expected = (long)measured * GroupSize;
        // Let the last deliveries arrive (bounded: what has not come within 10 s counts as missing).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (receivers.Sum(r => r.Measured) < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var latencies = receivers.SelectMany(r => r.Latencies).Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
        Array.Sort(latencies);
        return new FanoutResult(latencies, expected - latencies.Length, options.Duration);
    }

    private static async Task<bool> PostAsync(HttpClient http, LoadUser user, string channelId, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v4/posts") { Content = ChatApi.JsonBody(new { channel_id = channelId, message }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        using var response = await http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.Created;
    }

    /// <summary>The same fan-out from a server that does nothing else: accept, then send each message to a group of 10.</summary>
    private static async Task<FanoutResult> BaselineAsync(int count, int groups, int messageSize, LoadOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UseWebSockets();
        var sockets = new List<WebSocket>();
        var allConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            lock (sockets)
            {
                sockets.Add(socket);
                if (sockets.Count == count)
                {
                    allConnected.TrySetResult();
                }
            }
            var buffer = new byte[1024];
            while (socket.State == WebSocketState.Open && (await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        });
        await app.StartAsync();
        try
        {
            var url = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal) + "/ws");
            var receivers = new Receiver[count];
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
                receivers[i] = await Receiver.ConnectAsync(url, token: null));
            await allConnected.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var seq = new long[count];
            var gates = Enumerable.Range(0, count).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
            var result = await MeasureAsync(receivers, options, groups, async (i, message) =>
            {
                var group = i % groups;
                var post = JsonSerializer.Serialize(new { message, padding = new string('x', Math.Max(0, messageSize - 200)) });
                await Task.WhenAll(Enumerable.Range(group * GroupSize, GroupSize).Select(async s =>
                {
                    await gates[s].WaitAsync();
                    try
                    {
                        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { @event = "posted", data = new { post }, seq = ++seq[s] }));
                        await sockets[s].SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
                    }
                    finally
                    {
                        gates[s].Release();
                    }
                }));
            });
            await Task.WhenAll(receivers.Select(r => r.CloseAsync()));
            return result;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Resident memory of this machine's realtime processes, if any run here.</summary>
    private static long? RealtimeResidentKb()
    {
        long total = 0;
        var found = false;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(dir), out _) || !File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("Chat.Realtime.dll", StringComparison.Ordinal))
                {
                    continue;
                }
                var rss = File.ReadLines(Path.Combine(dir, "status")).First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                total += long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                found = true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // A process that ended meanwhile, or one we may not look at.
            }
        }
        return found ? total : null;
    }

    private static string Kb(long? kb) => kb is { } v ? $"{v / 1024} MB" : "n/a (no realtime process on this machine)";

    private static Task ForEachAsync(int count, Func<int, Task> step) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = SetupParallelism }, async (i, _) => await step(i));

    private sealed class FanoutResult(double[] sortedLatenciesMs, long missing, TimeSpan duration)
    {
        public long Missing { get; } = Math.Max(0, missing);
        public double PerSecond => sortedLatenciesMs.Length / duration.TotalSeconds;

        public double PercentileMs(double percent) =>
            sortedLatenciesMs.Length == 0 ? 0 : sortedLatenciesMs[Math.Clamp((int)Math.Ceiling(percent / 100 * sortedLatenciesMs.Length) - 1, 0, sortedLatenciesMs.Length - 1)];

        public void Print(string unit)
        {
            Console.WriteLine(Invariant($"  {unit} deliveries/s  {PerSecond,10:F1}   ({sortedLatenciesMs.Length} delivered, {Missing} missing in {duration.TotalSeconds:F0} s)"));
            Console.WriteLine(Invariant($"  post->delivery ms  p50 {PercentileMs(50):F2}  p95 {PercentileMs(95):F2}  p99 {PercentileMs(99):F2}  max {(sortedLatenciesMs.Length == 0 ? 0 : sortedLatenciesMs[^1]):F2}"));
        }
    }

    /// <summary>One client socket: reads everything, and for each "posted" message sent after the warm-up records its latency.</summary>
    private sealed class Receiver
    {
        private readonly ClientWebSocket socket;
        private readonly List<long> latencies = [];
        private Task loop = Task.CompletedTask;

        private Receiver(ClientWebSocket socket) => this.socket = socket;

        public long MeasureFrom { get; set; } = long.MaxValue;
        public int LargestPosted { get; private set; }

        public int Measured
        {
            get
            {
                lock (latencies)
                {
                    return latencies.Count;
                }
            }
        }

        public List<long> Latencies
        {
            get
            {
                lock (latencies)
                {
                    return [.. latencies];
                }
            }
        }

        public static async Task<Receiver> ConnectAsync(Uri url, string? token)
        {
            var socket = new ClientWebSocket();
            if (token is not null)
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
            }
            await socket.ConnectAsync(url, CancellationToken.None);
            var receiver = new Receiver(socket);
            receiver.loop = Task.Run(receiver.ReadAsync);
            return receiver;
        }

        public async Task CloseAsync()
        {
            socket.Abort();
            await loop;
            socket.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        if (length == buffer.Length)
                        {
                            Array.Resize(ref buffer, buffer.Length * 2);
                        }
                        result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                        length += result.Count;
                    }
                    while (!result.EndOfMessage);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                    Record(buffer.AsSpan(0, length));
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Closed at the end of the run.
            }
        }

        private void Record(ReadOnlySpan<byte> message)
        {
            var now = Stopwatch.GetTimestamp();
            var reader = new Utf8JsonReader(message);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (!root.TryGetProperty("event", out var name) || name.GetString() != "posted")
            {
                return;
            }
            LargestPosted = Math.Max(LargestPosted, message.Length);
            using var post = JsonDocument.Parse(root.GetProperty("data").GetProperty("post").GetString()!);
            var text = post.RootElement.GetProperty("message").GetString()!;
            if (text.StartsWith("fanout ", StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var sent) && sent >= MeasureFrom)
            {
                lock (latencies)
                {
                    latencies.Add(now - sent);
                }
            }
        }
    }
}
