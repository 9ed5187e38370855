using System.Text;

namespace Chat.IntegrationTests;

/// <summary>
/// Both drivers end to end: the local directory the cluster's nodes share, and S3 (s3rver) for a cluster of two api
/// nodes of its own. An upload acknowledged by a node that is then SIGKILLed is read whole through the other; one
/// cut short by the kill leaves nothing readable.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FileDriverTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Local_driver_loses_nothing_acknowledged_when_the_node_that_took_it_is_killed()
    {
        await using var node = cluster.NewNode("api", "api-files-killed");
        await node.StartAsync();
        await KillDuringUploadsAsync(node, cluster.Api2.BaseUrl, () => cluster.NewUserAsync(cluster.Api1));
        // Whatever the killed upload wrote is a temporary file, never a file with its name.
        var leftovers = Directory.EnumerateFiles(cluster.Cluster.FileStore, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).StartsWith("cut-short", StringComparison.Ordinal)).ToList();
        Assert.Empty(leftovers);
    }

    [Fact]
    public async Task S3_driver_serves_uploads_thumbnails_ranges_and_limits_across_nodes()
    {
        await using var s3 = await S3Server.StartAsync();
        var settings = new Dictionary<string, string>(s3.Settings("chat-files"))
        {
            ["MM_FILESETTINGS_MAXFILESIZE"] = (8 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var s3Cluster = await TestCluster.Create("files_s3").OnServer(cluster.Postgres).WithApi(2).WithSettings(settings).StartAsync();
        var (one, two) = (s3Cluster.Api[0], s3Cluster.Api[1]);
        var alice = await s3Cluster.NewUserAsync(one, "alice");
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());

        // Larger than one part: a multipart upload.
        var big = new byte[7 << 20];
        Random.Shared.NextBytes(big);
        var png = TestFiles.Png(640, 480);
        var uploaded = (await alice.UploadAsync(channelId, ("big.bin", big), ("photo.png", png))).Expect(201).Json["file_infos"]!.AsArray();
        var other = alice.On(two.BaseUrl);
        Assert.Equal(big, (await other.DownloadAsync($"/api/v4/files/{uploaded[0].Id()}")).Body);
        var range = await other.DownloadAsync($"/api/v4/files/{uploaded[0].Id()}", r => r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(6 << 20, (6 << 20) + 9));
        Assert.Equal(206, range.Status);
        Assert.Equal(big[(6 << 20)..((6 << 20) + 10)], range.Body);
        Assert.Equal((133, 100, "image/jpeg"), TestFiles.Identify((await other.DownloadAsync($"/api/v4/files/{uploaded[1].Id()}/thumbnail")).Body));
        Assert.Equal((640, 480, "image/jpeg"), TestFiles.Identify((await other.DownloadAsync($"/api/v4/files/{uploaded[1].Id()}/preview")).Body));

        // Attach, delete: unreadable.
        var post = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "on s3", FileIds = new[] { uploaded[1].Id() } })).Expect(201).Json;
        Assert.Single((await other.GetAsync($"/api/v4/posts/{post.Id()}/files/info")).Expect(200).Json.AsArray());
        (await alice.DeleteAsync($"/api/v4/posts/{post.Id()}")).Expect(200);
        (await other.GetAsync($"/api/v4/files/{uploaded[1].Id()}")).Expect(404);

        // Over the limit: 413, and nothing of it in the bucket.
        var tooBig = new byte[(8 << 20) + 1];
        ApiResponse huge;
        try
        {
            huge = await alice.UploadAsync(channelId, ("huge.bin", tooBig));
        }
        catch (ContractViolationException e)
        {
            throw new InvalidOperationException($"{e.Message}\n{one.Output[^Math.Min(6000, one.Output.Length)..]}");
        }
        Assert.Equal("api.file.upload_file.too_large_detailed.app_error", (string?)huge.Expect(413).Json["id"]);
        Assert.DoesNotContain(Directory.EnumerateFiles(s3.Folder, "*", SearchOption.AllDirectories), f => f.Contains("huge.bin", StringComparison.Ordinal));
        var status = (await s3Cluster.Admin.GetAsync("/api/v4/system/ping?get_server_status=true")).Expect(200).Json;
        Assert.Equal("OK", (string?)status["filestore_status"]);

        await using var killed = s3Cluster.NewNode("api", "api-s3-killed");
        await killed.StartAsync();
        await KillDuringUploadsAsync(killed, two.BaseUrl, () => s3Cluster.NewUserAsync(one));
    }

    /// <summary>
    /// An upload acknowledged by <paramref name="node"/> survives its SIGKILL (read through <paramref name="survivor"/>);
    /// an upload still streaming when the node dies leaves no FileInfo.
    /// </summary>
    private static async Task KillDuringUploadsAsync(ServiceProcess node, string survivor, Func<Task<ApiClient>> newUser)
    {
        var user = (await newUser()).On(node.BaseUrl);
        var channelId = await user.CreateChannelAsync(await user.CreateTeamAsync());
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("acknowledged\n", 10_000)));
        var acknowledged = await user.UploadOneAsync(channelId, "acknowledged.txt", bytes);

        // A body that sends half and then waits: the node dies with the upload in flight.
        using var stalled = new StalledStream(256 * 1024);
        var inFlight = user.SendAsync(HttpMethod.Post, $"/api/v4/files?channel_id={channelId}&filename=cut-short.bin", new StreamContent(stalled), r => r.Headers.TransferEncodingChunked = true);
        await stalled.HalfSent.WaitAsync(TimeSpan.FromSeconds(30));
        node.Kill();
        await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
        stalled.Release();
        await Assert.ThrowsAnyAsync<Exception>(() => inFlight);

        var reader = user.On(survivor);
        Assert.Equal(bytes, (await reader.DownloadAsync($"/api/v4/files/{acknowledged.Id()}")).Body);
        var listed = await reader.GetAsync($"/api/v4/files/{acknowledged.Id()}/info");
        Assert.Equal("acknowledged.txt", (string?)listed.Expect(200).Json["name"]);
    }

    /// <summary>Sends <c>half</c> bytes, then blocks until released, as a client on a slow link would.</summary>
    private sealed class StalledStream(int half) : Stream
    {
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource halfSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long sent;

        public Task HalfSent => halfSent.Task;

        public void Release() => released.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (sent >= half)
            {
                halfSent.TrySetResult();
                await released.Task.WaitAsync(cancellationToken);
                return 0;
            }
            var count = (int)Math.Min(buffer.Length, half - sent);
            buffer.Span[..count].Fill((byte)'x');
            sent += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => sent; set => throw new NotSupportedException(); }
        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
