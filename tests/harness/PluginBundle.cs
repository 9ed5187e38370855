using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Chat.Testing;

/// <summary>
/// Builds plugin bundles (.tar.gz) in memory with System.Formats.Tar, good or deliberately bad: entries are written
/// exactly as given (absolute names, "..", links anywhere), so tests can offer the server what an attacker would.
/// </summary>
public sealed class PluginBundle
{
    private readonly List<TarEntry> _entries = [];

    /// <summary>A bundle with plugin.json at its root (under <paramref name="folder"/>/ when given) and nothing else.</summary>
    public static PluginBundle For(string id, string version = "1.0.0", string? folder = null, object? server = null, string? minServerVersion = null, string? name = null)
    {
        var manifest = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["name"] = name ?? $"Test plugin {id}",
            ["description"] = "A plugin built by the tests.",
            ["version"] = version,
        };
        if (minServerVersion is not null)
        {
            manifest["min_server_version"] = minServerVersion;
        }
        if (server is not null)
        {
            manifest["server"] = server;
        }
        var prefix = folder is null ? "" : folder + "/";
        var bundle = new PluginBundle();
        if (folder is not null)
        {
            bundle.Directory(folder);
        }
        return bundle.File(prefix + "plugin.json", JsonSerializer.Serialize(manifest));
    }

    public PluginBundle File(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead) =>
        File(name, Encoding.UTF8.GetBytes(content), mode);

    public PluginBundle File(string name, byte[] content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = mode });
        return this;
    }

    /// <summary>A file whose data is <paramref name="length"/> zero bytes, streamed (compresses to almost nothing).</summary>
    public PluginBundle Zeros(string name, long length)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new ZeroStream(length) });
        return this;
    }

    public PluginBundle Directory(string name)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)Convert.ToInt32("755", 8) });
        return this;
    }

    public PluginBundle SymbolicLink(string name, string target)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });
        return this;
    }

    public PluginBundle HardLink(string name, string target)
    {
        _entries.Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });
        return this;
    }

    public PluginBundle Entry(TarEntryType type, string name)
    {
        _entries.Add(new PaxTarEntry(type, name));
        return this;
    }

    /// <summary>The gzip-compressed tar archive.</summary>
    public byte[] ToTarGz()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in _entries)
            {
                entry.DataStream?.Seek(0, SeekOrigin.Begin);
                tar.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }

    /// <summary>Writes the bundle to a file and returns its path.</summary>
    public string WriteTo(string path)
    {
        System.IO.File.WriteAllBytes(path, ToTarGz());
        return path;
    }

    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
