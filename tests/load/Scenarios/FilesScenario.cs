using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Chat.Load.Api;

namespace Chat.Load.Scenarios;

/// <summary>
/// File throughput through the edge against the disk underneath, in one run: a 100 MB upload (POST /files, the raw
/// body) and its download (GET /files/{id}) against a plain copy and a plain read of the same file on the disk that
/// holds the file store (CHAT_BENCH_DISK_DIR); then the api nodes' resident memory (CHAT_BENCH_API_PIDS) while N
/// clients (--clients, 8) upload 100 MB each at once. Each figure is the median of three rounds (one with --quick).
/// </summary>
public static class FilesScenario
{
    /// <summary>100 MB, under FileSettings.MaxFileSize's default (104,857,600 bytes).</summary>
    private const long FileBytes = 100_000_000;

    private const double MB = 1_000_000;

    public static async Task<int> RunAsync(LoadOptions options)
    {
        var disk = Environment.GetEnvironmentVariable("CHAT_BENCH_DISK_DIR") is { Length: > 0 } d ? d : Path.GetTempPath();
        var driver = Environment.GetEnvironmentVariable("MM_FILESETTINGS_DRIVERNAME") is { Length: > 0 } n ? n : "local";
        var apiPids = (Environment.GetEnvironmentVariable("CHAT_BENCH_API_PIDS") ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var uploaders = options.ClientsGiven ? options.Clients : 8;
        var rounds = options.Quick ? 1 : 3;

        using var http = ChatApi.CreateHttpClient(options.Url, uploaders);
        http.Timeout = TimeSpan.FromMinutes(10);
        var api = new ChatApi(http);
        var user = await api.SignUpOrLoginAsync("load-files");
        var teamId = await api.EnsureTeamAsync(user, "load-files");
        var channelId = await api.EnsureChannelAsync(user, teamId, "load-files");
        Console.WriteLine($"files: driver {driver}, {FileBytes / MB:F0} MB files through {options.Url}, disk baseline in {disk}, {rounds} round(s)");

        Directory.CreateDirectory(disk);
        var source = Path.Combine(disk, $"bench-source-{Guid.NewGuid():N}.bin");
        var copy = source + ".copy";
        try
        {
            await WriteSourceAsync(source);
            var (copyRates, readRates, uploadRates, downloadRates) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
            for (var round = 0; round < rounds; round++)
            {
                copyRates.Add(Rate(() => CopyFlushed(source, copy)));
                readRates.Add(Rate(() => ReadAll(copy)));
                File.Delete(copy);
                string? fileId = null;
                uploadRates.Add(await RateAsync(async () => fileId = await UploadAsync(http, user, channelId, source)));
                downloadRates.Add(await RateAsync(() => DownloadAsync(http, user, fileId!)));
            }
            var (upload, plainCopy, download, plainRead) = (Median(uploadRates), Median(copyRates), Median(downloadRates), Median(readRates));
            Console.WriteLine(Invariant($"upload:   {upload,8:F1} MB/s through the edge; plain copy on the same disk {plainCopy,8:F1} MB/s; ratio {upload / plainCopy:F2}"));
            Console.WriteLine(Invariant($"download: {download,8:F1} MB/s through the edge; plain read on the same disk {plainRead,8:F1} MB/s; ratio {download / plainRead:F2}"));

            await MemoryUnderUploadsAsync(http, user, channelId, source, uploaders, apiPids);
            return 0;
        }
        finally
        {
            File.Delete(source);
            File.Delete(copy);
        }
    }

    /// <summary>Peak resident memory of every api node while <paramref name="uploaders"/> clients upload at once.</summary>
    private static async Task MemoryUnderUploadsAsync(HttpClient http, LoadUser user, string channelId, string source, int uploaders, int[] apiPids)
    {
        var before = apiPids.ToDictionary(p => p, ResidentMb);
        var peak = new Dictionary<int, double>(before);
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var pid in apiPids)
                {
                    peak[pid] = Math.Max(peak[pid], ResidentMb(pid));
                }
                await Task.Delay(50);
            }
        });
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, uploaders).Select(async _ =>
        {
            try
            {
                await UploadAsync(http, user, channelId, source);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await sampler;
        Console.WriteLine(Invariant($"memory:   {uploaders} clients uploading {FileBytes / MB:F0} MB each at once: {results.Count(r => r)} stored in {elapsed:F1} s ({uploaders * FileBytes / MB / elapsed:F1} MB/s in all)"));
        foreach (var pid in apiPids)
        {
            Console.WriteLine(Invariant($"  api pid {pid}: resident {before[pid],6:F0} MB before, {peak[pid],6:F0} MB at the peak, {ResidentMb(pid),6:F0} MB after"));
        }
        if (apiPids.Length == 0)
        {
            Console.WriteLine("  (no api pids in CHAT_BENCH_API_PIDS: run it as deploy/local/cluster bench files for the memory figures)");
        }
    }

    private static async Task<string> UploadAsync(HttpClient http, LoadUser user, string channelId, string source)
    {
        await using var body = File.OpenRead(source);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v4/files?channel_id={channelId}&filename=bench.bin") { Content = new StreamContent(body, 1 << 16) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.SendAsync(request);
        var json = await ChatApi.ReadAsync(response);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"upload: HTTP {(int)response.StatusCode} {ChatApi.ErrorId(json)}");
        }
        return json.GetProperty("file_infos")[0].GetProperty("id").GetString()!;
    }

    private static async Task DownloadAsync(HttpClient http, LoadUser user, string fileId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v4/files/{fileId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var content = await response.Content.ReadAsStreamAsync();
        var read = await CountAsync(content);
        if (read != FileBytes)
        {
            throw new HttpRequestException($"download: {read} bytes, expected {FileBytes}");
        }
    }

    /// <summary>Incompressible content (1 MB of random bytes, repeated), flushed to the disk.</summary>
    private static async Task WriteSourceAsync(string path)
    {
        var block = new byte[1_000_000];
        Random.Shared.NextBytes(block);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        for (long written = 0; written < FileBytes; written += block.Length)
        {
            await file.WriteAsync(block);
        }
        file.Flush(flushToDisk: true);
    }

    /// <summary>A copy as the local store writes an upload: streamed, then flushed to the disk.</summary>
    private static void CopyFlushed(string from, string to)
    {
        using var input = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var output = new FileStream(to, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        input.CopyTo(output);
        output.Flush(flushToDisk: true);
    }

    private static void ReadAll(string path)
    {
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        input.CopyTo(Stream.Null);
    }

    private static async Task<long> CountAsync(Stream stream)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }
        return total;
    }

    private static double Rate(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return FileBytes / MB / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> RateAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return FileBytes / MB / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>VmRSS from /proc, in MB; 0 when the process is gone.</summary>
    private static double ResidentMb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024 / MB;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
