using System.Net.Http.Headers;
using Xunit.Abstractions;

namespace Chat.IntegrationTests;

/// <summary>
/// <see cref="FilesTestsBase"/> on the S3 driver, what only S3 has (uploads in parts, an upload cut off mid-way,
/// a node killed during a multipart upload), and the official client's file calls (tests/js/test/files.test.js).
/// </summary>
[Collection(S3FilesCollection.Name)]
public sealed class S3FilesTests : FilesTestsBase
{
    private readonly S3FilesFixture _cluster;
    private readonly ITestOutputHelper _output;

    public S3FilesTests(S3FilesFixture cluster, ITestOutputHelper output) : base(cluster)
    {
        _cluster = cluster;
        _output = output;
    }

    [Fact]
    public async Task Uploads_larger_than_a_part_are_read_whole_and_one_over_the_limit_leaves_nothing_in_the_bucket()
    {
        var (one, two) = (_cluster.Api1, _cluster.Api2);
        var alice = await _cluster.NewUserAsync(one, "alice");
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());

        // Larger than one part (AmazonS3UploadPartSizeBytes, 5 MiB): a multipart upload.
        var big = new byte[7 << 20];
        Random.Shared.NextBytes(big);
        var uploaded = await alice.UploadOneAsync(channelId, "big.bin", big);
        var other = alice.On(two.BaseUrl);
        Assert.Equal(big, (await other.DownloadAsync($"/api/v4/files/{uploaded.Id()}")).Body);
        var range = await other.DownloadAsync($"/api/v4/files/{uploaded.Id()}", r => r.Headers.Range = new RangeHeaderValue(6 << 20, (6 << 20) + 9));
        Assert.Equal(206, range.Status);
        Assert.Equal(big[(6 << 20)..((6 << 20) + 10)], range.Body);
        Assert.Contains(BucketFiles(), f => f.Contains("big.bin", StringComparison.Ordinal));

        // Over the limit after a part has gone to the bucket: 413, and nothing of it left there.
        var tooBig = new byte[S3FilesFixture.MaxFileSize + 1];
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
        Assert.DoesNotContain(BucketFiles(), f => f.Contains("huge.bin", StringComparison.Ordinal));
        var status = (await _cluster.Admin.GetAsync("/api/v4/system/ping?get_server_status=true")).Expect(200).Json;
        Assert.Equal("OK", (string?)status["filestore_status"]);
    }

    [Fact]
    public async Task Nothing_acknowledged_is_lost_when_the_node_that_took_it_is_killed()
    {
        await using var killed = _cluster.NewNode("api", "api-s3-killed");
        await killed.StartAsync();
        await FileDriverTests.KillDuringUploadsAsync(killed, _cluster.Api2.BaseUrl, () => _cluster.NewUserAsync(_cluster.Api1));
    }

    [Fact]
    public async Task Official_clients_file_calls_work_across_nodes()
    {
        var run = await NodeTestRun.RunAsync(["test/files.test.js"], new Dictionary<string, string>
        {
            ["CHAT_API_URLS"] = $"{_cluster.Api1.BaseUrl},{_cluster.Api2.BaseUrl}",
        }, TimeSpan.FromMinutes(3));
        _output.WriteLine(run.ToString());
        Assert.True(run.Passed, $"the files suite failed on S3: {run}");
    }

    private IEnumerable<string> BucketFiles() => Directory.EnumerateFiles(_cluster.S3.Folder, "*", SearchOption.AllDirectories);
}
