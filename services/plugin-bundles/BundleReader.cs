using System.Formats.Tar;
using System.IO.Compression;

namespace Chat.Plugins.Bundles;

/// <summary>How much a bundle may hold once decompressed (the compressed size is the upload's limit).</summary>
public sealed record BundleLimits(long MaxUnpackedBytes, int MaxEntries = BundleLimits.DefaultMaxEntries)
{
    public const int DefaultMaxEntries = 20_000;
}

/// <summary>What a valid bundle holds: its manifest and the folder of the archive that is the plugin's root.</summary>
public sealed record BundleContents(BundleManifest Manifest, string Root, long UnpackedBytes, int Entries);

/// <summary>
/// Reads a plugin bundle (a gzip-compressed tar archive) in one pass, refusing anything unsafe or malformed:
/// not gzip, not tar, truncated; absolute paths, ".." segments, entries through or as symbolic links leading out
/// of the root, hard links to anything but an earlier file of the archive, devices and other special entries,
/// duplicate entries; more than the limits once decompressed (counted while decompressing, so a small archive
/// that inflates enormously stops at the limit; a hard link adds its file's size again, since extraction copies it). The manifest is plugin.json at the root, or in the archive's
/// single top-level folder as Mattermost allows, and must be valid (<see cref="BundleManifest"/>), including a
/// server executable that is a file of the bundle.
/// </summary>
public static class BundleReader
{
    private const string ManifestName = "plugin.json";

    /// <summary>Validates the bundle at <paramref name="bundlePath"/> without writing anything.</summary>
    /// <exception cref="BundleException">The bundle is invalid; nothing was written.</exception>
    public static Task<BundleContents> InspectAsync(string bundlePath, BundleLimits limits, CancellationToken cancellationToken) =>
        ReadAsync(bundlePath, limits, null, cancellationToken);

    /// <summary>
    /// Validates and unpacks the bundle into <paramref name="directory"/>, which must be empty or missing. On an
    /// invalid bundle the caller removes the directory (it may hold part of the archive).
    /// </summary>
    /// <exception cref="BundleException">The bundle is invalid.</exception>
    public static Task<BundleContents> ExtractAsync(string bundlePath, string directory, BundleLimits limits, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        return ReadAsync(bundlePath, limits, Path.GetFullPath(directory), cancellationToken);
    }

    private static async Task<BundleContents> ReadAsync(string bundlePath, BundleLimits limits, string? target, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(bundlePath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var magic = new byte[2];
        if (await file.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancellationToken) < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
        {
            throw BundleException.Extract("it is not a gzip-compressed tar archive (.tar.gz)");
        }
        file.Position = 0;
        try
        {
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await using var counted = new CountingStream(gzip, limits.MaxUnpackedBytes);
            var walk = new Walk(limits, target, () => counted.Count);
            await using var tar = new TarReader(counted);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                await walk.AddAsync(entry, cancellationToken);
            }
            return walk.Finish(counted.Count + walk.LinkedBytes);
        }
        catch (InvalidDataException e)
        {
            throw BundleException.Extract($"the archive is corrupt or not a tar archive ({e.Message})");
        }
        catch (EndOfStreamException)
        {
            throw BundleException.Extract("the archive is truncated");
        }
        catch (FormatException e)
        {
            throw BundleException.Extract($"the archive has a malformed entry ({e.Message})");
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            // TarReader reports some malformed headers (bad sizes, names) this way.
            throw BundleException.Extract($"the archive has a malformed entry ({e.Message})");
        }
    }

    /// <summary>The state of one pass: what was seen so far, and where it goes when extracting.</summary>
    private sealed class Walk(BundleLimits limits, string? target, Func<long> decompressed)
    {
        private readonly HashSet<string> directories = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> files = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> links = new(StringComparer.Ordinal);
        private readonly HashSet<string> topLevel = new(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]?> manifests = new(StringComparer.Ordinal);
        private int entries;

        /// <summary>What the hard links add once unpacked: each is a copy of its file, which the archive holds once.</summary>
        public long LinkedBytes { get; private set; }

        public async Task AddAsync(TarEntry entry, CancellationToken cancellationToken)
        {
            if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
            {
                return;
            }
            if (++entries > limits.MaxEntries)
            {
                throw BundleException.TooLarge($"it has more than {limits.MaxEntries} entries");
            }
            if (!BundlePaths.TryNormalize(entry.Name, out var path, out var problem))
            {
                throw BundleException.Extract($"entry '{Shorten(entry.Name)}' has {problem}");
            }
            if (path.Length == 0)
            {
                if (entry.EntryType != TarEntryType.Directory)
                {
                    throw BundleException.Extract($"entry '{Shorten(entry.Name)}' names the bundle's root but is not a folder");
                }
                return;
            }
            CheckAncestors(path);
            if (entry.EntryType == TarEntryType.Directory)
            {
                if (files.ContainsKey(path) || links.ContainsKey(path))
                {
                    throw BundleException.Extract($"entry '{Shorten(path)}' appears twice");
                }
                directories.Add(path);
                topLevel.Add(path.Split('/')[0]);
                if (target is not null)
                {
                    Directory.CreateDirectory(Local(path));
                }
                return;
            }
            if (directories.Contains(path) || files.ContainsKey(path) || links.ContainsKey(path))
            {
                throw BundleException.Extract($"entry '{Shorten(path)}' appears twice");
            }
            topLevel.Add(path.Split('/')[0]);
            switch (entry.EntryType)
            {
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    await AddFileAsync(entry, path, cancellationToken);
                    break;
                case TarEntryType.SymbolicLink:
                    if (BundlePaths.ResolveLink(path, entry.LinkName) is null)
                    {
                        throw BundleException.Extract($"symbolic link '{Shorten(path)}' points outside the bundle ('{Shorten(entry.LinkName)}')");
                    }
                    links.Add(path, entry.LinkName);
                    if (target is not null)
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(Local(path))!);
                        File.CreateSymbolicLink(Local(path), entry.LinkName);
                    }
                    break;
                case TarEntryType.HardLink:
                    if (!BundlePaths.TryNormalize(entry.LinkName, out var source, out _) || !files.TryGetValue(source, out var size))
                    {
                        throw BundleException.Extract($"hard link '{Shorten(path)}' does not point at an earlier file of the bundle ('{Shorten(entry.LinkName)}')");
                    }
                    LinkedBytes += size;
                    if (decompressed() + LinkedBytes > limits.MaxUnpackedBytes)
                    {
                        throw BundleException.TooLarge($"its hard links copy {LinkedBytes} bytes, which with the rest is over the limit of {limits.MaxUnpackedBytes} bytes unpacked");
                    }
                    files.Add(path, size);
                    if (target is not null)
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(Local(path))!);
                        File.Copy(Local(source), Local(path));
                    }
                    break;
                default:
                    throw BundleException.Extract($"entry '{Shorten(path)}' is a {entry.EntryType}; bundles hold only files, folders and links");
            }
        }

        public BundleContents Finish(long unpackedBytes)
        {
            if (entries == 0)
            {
                throw BundleException.Extract("the archive holds no entries (it is not a tar archive, or an empty one)");
            }
            // Mattermost's rule: an archive holding one folder and nothing else has the plugin in that folder.
            var root = topLevel.Count == 1 && directories.Contains(topLevel.First()) ? topLevel.First() : "";
            foreach (var link in links.Keys)
            {
                if (Resolve(link, 0) is null)
                {
                    throw BundleException.Extract($"symbolic link '{Shorten(link)}' points outside the bundle once the links it goes through are followed, or the links loop");
                }
            }
            var manifestPath = root.Length == 0 ? ManifestName : $"{root}/{ManifestName}";
            if (!manifests.TryGetValue(manifestPath, out var bytes))
            {
                throw new BundleException("app.plugin.manifest.app_error",
                    links.ContainsKey(manifestPath)
                        ? "The plugin bundle's plugin.json must be a file, not a link."
                        : "The plugin bundle has no plugin.json at its root (or in its single top-level folder).");
            }
            var manifest = BundleManifest.Parse(bytes ?? throw BundleException.Manifest($"it is larger than {BundleManifest.MaxBytes} bytes"));
            if (manifest.ServerExecutable is { } executable && !files.ContainsKey(root.Length == 0 ? executable : $"{root}/{executable}"))
            {
                throw BundleException.Manifest($"server.executable '{executable}' is not a file of the bundle");
            }
            return new BundleContents(manifest, root, unpackedBytes, entries);
        }

        private async Task AddFileAsync(TarEntry entry, string path, CancellationToken cancellationToken)
        {
            if (entry.Length > limits.MaxUnpackedBytes)
            {
                throw BundleException.TooLarge($"entry '{Shorten(path)}' alone is {entry.Length} bytes, over the limit of {limits.MaxUnpackedBytes} bytes unpacked");
            }
            files.Add(path, entry.Length);
            // The manifest is plugin.json at the root, or one level down in a single top-level folder (only the first
            // such file can be that one: duplicates are refused, and a second folder means the root is the archive's).
            var candidate = path == ManifestName
                || (path.EndsWith("/" + ManifestName, StringComparison.Ordinal) && path.IndexOf('/') == path.Length - ManifestName.Length - 1 && !manifests.Keys.Any(k => k != ManifestName));
            Stream? data = entry.DataStream;
            if (candidate)
            {
                byte[]? bytes = null;
                if (entry.Length <= BundleManifest.MaxBytes)
                {
                    bytes = new byte[entry.Length];
                    if (data is not null)
                    {
                        await data.ReadExactlyAsync(bytes, cancellationToken);
                    }
                    data = new MemoryStream(bytes, writable: false);
                }
                manifests[path] = bytes;
            }
            if (target is null || data is null)
            {
                // Not extracting: the reader skips the data (still decompressed, so still counted against the limit).
                return;
            }
            var local = Local(path);
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                // The archive's permission bits (the owner may always read and write), never set-id or sticky bits.
                options.UnixCreateMode = (entry.Mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                    | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) | UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            await using var output = new FileStream(local, options);
            await data.CopyToAsync(output, cancellationToken);
        }

        /// <summary>
        /// Where a symbolic link leads once every link on the way is followed, as the operating system would in the
        /// unpacked tree (which is exactly the archive: nothing is written through a link); null when that is outside
        /// the root or the links loop.
        /// </summary>
        private string? Resolve(string linkPath, int depth)
        {
            if (depth > 40)
            {
                return null;
            }
            var segments = BundlePaths.Parent(linkPath).Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
            foreach (var segment in links[linkPath].Split('/'))
            {
                switch (segment)
                {
                    case "" or ".":
                        continue;
                    case "..":
                        if (segments.Count == 0)
                        {
                            return null;
                        }
                        segments.RemoveAt(segments.Count - 1);
                        break;
                    default:
                        segments.Add(segment);
                        var here = string.Join('/', segments);
                        if (links.ContainsKey(here))
                        {
                            if (Resolve(here, depth + 1) is not { } resolved)
                            {
                                return null;
                            }
                            segments = [.. resolved.Split('/', StringSplitOptions.RemoveEmptyEntries)];
                        }
                        break;
                }
            }
            return string.Join('/', segments);
        }

        /// <summary>No entry may sit inside a file or pass through a symbolic link: every write stays under the root.</summary>
        private void CheckAncestors(string path)
        {
            for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
            {
                var ancestor = path[..slash];
                if (links.ContainsKey(ancestor))
                {
                    throw BundleException.Extract($"entry '{Shorten(path)}' goes through symbolic link '{Shorten(ancestor)}'");
                }
                if (files.ContainsKey(ancestor))
                {
                    throw BundleException.Extract($"entry '{Shorten(path)}' is inside file '{Shorten(ancestor)}'");
                }
            }
        }

        private string Local(string path) => Path.Join(target, path);
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "…";

    /// <summary>Counts decompressed bytes and stops the read that crosses the limit.</summary>
    private sealed class CountingStream(Stream inner, long limit) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int read)
        {
            Count += read;
            if (Count > limit)
            {
                throw BundleException.TooLarge($"it unpacks to more than {limit} bytes");
            }
            return read;
        }
    }
}
