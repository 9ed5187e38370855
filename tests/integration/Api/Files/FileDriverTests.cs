using System.Text;

namespace Chat.IntegrationTests;

/// <summary>
/// The local driver (the directory the cluster's nodes share) when a node dies: an upload acknowledged by a node that
/// is then SIGKILLed is read whole through the other; one cut short by the kill leaves nothing readable.
/// <see cref="S3FilesTests"/> does the same on S3.
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

    /// <summary>
    /// An upload acknowledged by <paramref name="node"/> survives its SIGKILL (read through <paramref name="survivor"/>);
    /// an upload still streaming when the node dies leaves no FileInfo.
    /// </summary>
    internal static async Task KillDuringUploadsAsync(ServiceProcess node, string survivor, Func<Task<ApiClient>> newUser)
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
    internal sealed class StalledStream(int half) : Stream
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
