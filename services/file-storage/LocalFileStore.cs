namespace Chat.FileStorage;

/// <summary>
/// FileSettings.DriverName = "local": a directory every node mounts (a NAS in production). Writes go to a temporary
/// name beside the target, are flushed to disk, then renamed over it: a rename within a directory is atomic, so a
/// reader (on any node) sees the old file or the whole new one, and a node killed mid-write leaves only a
/// "~upload." file that <see cref="SweepLeftovers"/> removes.
/// </summary>
public sealed class LocalFileStore(string directory) : IFileStore
{
    private const string UploadPrefix = "~upload.";
    private const int BufferSize = 128 * 1024;

    public string Root { get; } = Path.GetFullPath(directory);

    public async Task<long> WriteAsync(string path, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var target = Resolve(path);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $"{UploadPrefix}{Guid.NewGuid():N}");
        try
        {
            long total = 0;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        throw new FileTooLargeException(maxBytes);
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                // On the shared disk before anyone is told the file exists.
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
            return total;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(Resolve(path), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            File.Delete(Resolve(path));
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing there to delete.
        }
        return Task.CompletedTask;
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var probe = $"health/{Guid.NewGuid():N}";
        await WriteAsync(probe, new MemoryStream("ok"u8.ToArray()), 16, cancellationToken);
        await DeleteAsync(probe, cancellationToken);
    }

    /// <summary>Removes what nodes killed mid-write left behind: temporary files older than <paramref name="age"/>.</summary>
    public int SweepLeftovers(TimeSpan age)
    {
        if (!Directory.Exists(Root))
        {
            return 0;
        }
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(Root, UploadPrefix + "*", SearchOption.AllDirectories))
        {
            if (File.GetLastWriteTimeUtc(file) < DateTime.UtcNow - age)
            {
                File.Delete(file);
                removed++;
            }
        }
        return removed;
    }

    private string Resolve(string path) => Path.Combine(Root, FilePaths.Require(path));
}
