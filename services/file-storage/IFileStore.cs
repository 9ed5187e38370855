namespace Chat.FileStorage;

/// <summary>
/// Mattermost's file backend: the one place files live, shared by every node (FileSettings.DriverName). Paths are
/// relative, '/'-separated, and never contain "..". A file appears whole or not at all: a node that dies while
/// writing leaves nothing that reads back as the file.
/// </summary>
public interface IFileStore
{
    /// <summary>
    /// Streams <paramref name="content"/> to <paramref name="path"/> (replacing any file there) and returns its size.
    /// </summary>
    /// <exception cref="FileTooLargeException">More than <paramref name="maxBytes"/> bytes; nothing is left behind.</exception>
    Task<long> WriteAsync(string path, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>The file for reading (seekable where the driver allows, for range requests), or null when it does not exist.</summary>
    Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>Removes the file; a missing file is not an error.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Mattermost's TestConnection: writes, reads back and removes a small file; throws when the store does not answer.</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}

/// <summary>A write went past its limit (FileSettings.MaxFileSize, or a caller's own).</summary>
public sealed class FileTooLargeException(long maxBytes) : Exception($"The file is larger than {maxBytes} bytes.")
{
    public long MaxBytes { get; } = maxBytes;
}

public static class FilePaths
{
    /// <summary>Whether <paramref name="path"/> is a relative path the stores accept: no empty, "." or ".." segments, no backslashes.</summary>
    public static bool IsSafe(string path) =>
        path.Length is > 0 and <= 1024
        && !path.Contains('\\') && !path.Contains('\0')
        && path.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");

    public static string Require(string path) =>
        IsSafe(path) ? path : throw new ArgumentException($"Unsafe file store path '{path}'.", nameof(path));
}
