using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Chat.ClusterTool;

/// <summary>
/// A plugin bundle (.tar.gz): its manifest's id, and a digest of its files' contents in archive order that leaves out
/// tar's timestamps, so rebuilding unchanged sources does not make a new version. The digest is what
/// <c>tar -xzOf bundle | sha256sum | cut -c1-16</c> prints.
/// </summary>
public sealed record PluginBundle(FileInfo Archive, string Id, string Contents)
{
    public static async Task<PluginBundle> ReadAsync(FileInfo file, CancellationToken cancel)
    {
        if (!file.Exists)
        {
            throw new ClusterToolException($"{file.FullName} is missing; run up without --no-build");
        }
        try
        {
            return await DigestAsync(file, cancel);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or InvalidOperationException)
        {
            throw new ClusterToolException($"{file.FullName} is not a plugin bundle: {e.Message}");
        }
    }

    private static async Task<PluginBundle> DigestAsync(FileInfo file, CancellationToken cancel)
    {
        await using var gzip = new GZipStream(file.OpenRead(), CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string? id = null;
        while (await tar.GetNextEntryAsync(copyData: false, cancel) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                continue;
            }
            using var data = new MemoryStream();
            await entry.DataStream.CopyToAsync(data, cancel);
            digest.AppendData(data.GetBuffer(), 0, (int)data.Length);
            if (entry.Name is "plugin.json" or "./plugin.json")
            {
                data.Position = 0;
                using var manifest = await JsonDocument.ParseAsync(data, cancellationToken: cancel);
                id = manifest.RootElement.TryGetProperty("id", out var value) ? value.GetString() : null;
            }
        }
        return new PluginBundle(file, id ?? throw new ClusterToolException($"{file.FullName} has no plugin.json with an id"),
            Convert.ToHexStringLower(digest.GetHashAndReset())[..16]);
    }
}
