using Chat.FileStorage;

namespace Chat.UnitTests;

/// <summary>The local driver's guarantees (whole files or none, limits, safe paths) and the derived image sizes.</summary>
public sealed class FileStorageTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("chat-files-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task A_write_replaces_the_file_whole_and_reads_back()
    {
        var store = new LocalFileStore(root);
        Assert.Equal(5, await store.WriteAsync("a/b/c.txt", new MemoryStream("first"u8.ToArray()), 100, default));
        Assert.Equal(6, await store.WriteAsync("a/b/c.txt", new MemoryStream("second"u8.ToArray()), 100, default));
        await using (var read = await store.OpenReadAsync("a/b/c.txt", default))
        {
            Assert.NotNull(read);
            Assert.Equal("second", await new StreamReader(read).ReadToEndAsync());
        }
        Assert.Single(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories));
        Assert.Null(await store.OpenReadAsync("a/b/missing.txt", default));
        await store.DeleteAsync("a/b/c.txt", default);
        await store.DeleteAsync("a/b/c.txt", default);
        Assert.Null(await store.OpenReadAsync("a/b/c.txt", default));
    }

    [Fact]
    public async Task A_write_over_the_limit_leaves_nothing_behind()
    {
        var store = new LocalFileStore(root);
        await Assert.ThrowsAsync<FileTooLargeException>(() => store.WriteAsync("x/big.bin", new MemoryStream(new byte[1001]), 1000, default));
        Assert.Empty(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories));
        Assert.Equal(1000, await store.WriteAsync("x/exact.bin", new MemoryStream(new byte[1000]), 1000, default));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/absolute.txt")]
    [InlineData("a//b.txt")]
    [InlineData("a\\b.txt")]
    [InlineData("")]
    public async Task Paths_that_could_leave_the_store_are_refused(string path)
    {
        Assert.False(FilePaths.IsSafe(path));
        await Assert.ThrowsAsync<ArgumentException>(() => new LocalFileStore(root).WriteAsync(path, new MemoryStream([1]), 10, default));
    }

    [Fact]
    public void Leftovers_of_killed_writes_are_swept_once_old()
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "d")).FullName;
        var leftover = Path.Combine(folder, "~upload.abc");
        File.WriteAllText(leftover, "partial");
        var store = new LocalFileStore(root);
        Assert.Equal(0, store.SweepLeftovers(TimeSpan.FromHours(1)));
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-2));
        Assert.Equal(1, store.SweepLeftovers(TimeSpan.FromHours(1)));
        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public void Default_profile_images_are_stable_and_differ_between_users()
    {
        Assert.Equal(ImageProcessor.DefaultProfileImage("a"), ImageProcessor.DefaultProfileImage("a"));
        Assert.NotEqual(ImageProcessor.DefaultProfileImage("a"), ImageProcessor.DefaultProfileImage("b"));
    }
}
