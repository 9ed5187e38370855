using System.Security.Cryptography;

namespace Chat.Plugins.Bundles;

/// <summary>
/// Plugin bundles in the shared file storage (FileSettings.Directory, a NAS path in production), where every api
/// node reads them: {directory}/plugins/{id}.tar.gz, as Mattermost keeps them in its file store. Files only ever
/// appear whole (written aside, then renamed), and a replaced or deleted bundle is kept aside until the change
/// that replaced it commits, so a failed change can put it back.
/// </summary>
public sealed class BundleStorage(string fileStoreDirectory)
{
    private const string UploadPrefix = "~upload.";
    private const string AsidePrefix = "~aside.";

    public string Folder { get; } = Path.Combine(Path.GetFullPath(fileStoreDirectory), "plugins");

    public string PathOf(string pluginId) => Path.Combine(Folder, $"{pluginId}.tar.gz");

    /// <summary>
    /// Receives an upload in the storage folder under a temporary name (so the final rename is atomic), at most
    /// <paramref name="maxBytes"/> bytes; returns its path. The caller deletes it unless it is stored.
    /// </summary>
    /// <exception cref="BundleException">More than <paramref name="maxBytes"/> bytes (the partial file is removed).</exception>
    public async Task<string> ReceiveAsync(Stream upload, long maxBytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, $"{UploadPrefix}{Guid.NewGuid():N}.tmp");
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await upload.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw new BundleException("api.plugin.upload.file_too_large.app_error",
                        $"The plugin bundle is larger than {maxBytes} bytes (FileSettings.MaxFileSize).", 413);
                }
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            // On the shared storage before anyone is told about it.
            file.Flush(flushToDisk: true);
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Moves a received upload into place as <paramref name="pluginId"/>'s bundle, keeping the old one aside.</summary>
    public BundleSwap Store(string received, string pluginId) => BundleSwap.Replace(this, received, pluginId);

    /// <summary>Takes <paramref name="pluginId"/>'s bundle out of place, keeping it aside until committed.</summary>
    public BundleSwap Remove(string pluginId) => BundleSwap.Replace(this, null, pluginId);

    /// <summary>Removes what a crashed node left behind: uploads and set-aside bundles older than <paramref name="age"/>.</summary>
    public void SweepLeftovers(TimeSpan age)
    {
        if (!Directory.Exists(Folder))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(Folder, "~*"))
        {
            var name = Path.GetFileName(file);
            if ((name.StartsWith(UploadPrefix, StringComparison.Ordinal) || name.StartsWith(AsidePrefix, StringComparison.Ordinal))
                && File.GetLastWriteTimeUtc(file) < DateTime.UtcNow - age)
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>The hex SHA-256 of a file: what the plugins table records, so nodes know which bundle they unpacked.</summary>
    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    /// <summary>A bundle replaced or removed in place; the previous one waits aside for <see cref="Commit"/> or <see cref="Rollback"/>.</summary>
    public sealed class BundleSwap
    {
        private readonly string target;
        private readonly string? aside;
        private readonly string? received;

        private BundleSwap(string target, string? aside, string? received)
        {
            this.target = target;
            this.aside = aside;
            this.received = received;
        }

        internal static BundleSwap Replace(BundleStorage storage, string? received, string pluginId)
        {
            var target = storage.PathOf(pluginId);
            string? aside = null;
            if (File.Exists(target))
            {
                aside = Path.Combine(storage.Folder, $"{AsidePrefix}{Guid.NewGuid():N}.tmp");
                File.Move(target, aside);
            }
            if (received is not null)
            {
                try
                {
                    File.Move(received, target);
                }
                catch
                {
                    if (aside is not null)
                    {
                        File.Move(aside, target);
                    }
                    throw;
                }
            }
            return new BundleSwap(target, aside, received);
        }

        /// <summary>The change is committed: the previous bundle goes.</summary>
        public void Commit()
        {
            if (aside is not null)
            {
                File.Delete(aside);
            }
        }

        /// <summary>The change failed: the previous bundle (or none) is back in place.</summary>
        public void Rollback()
        {
            if (received is not null)
            {
                File.Delete(target);
            }
            if (aside is not null)
            {
                File.Move(aside, target, overwrite: true);
            }
        }
    }
}
