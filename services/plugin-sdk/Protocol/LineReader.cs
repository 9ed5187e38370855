using System.Buffers;

namespace Chat.Plugins.Sdk.Protocol;

/// <summary>
/// Reads '\n'-terminated lines from a stream without ever holding more than <c>maxLineBytes</c> of one line: the
/// other end of a pipe is not trusted to keep its lines short.
/// </summary>
internal sealed class LineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] buffer = new byte[64 * 1024];
    private readonly ArrayBufferWriter<byte> line = new();
    private int start;
    private int end;
    private bool overflowed;

    /// <summary>
    /// The next line without its terminator (a final line without one counts), or null at the end of the stream.
    /// <paramref name="truncated"/> says the line was longer than the limit; only its first part is returned.
    /// </summary>
    public ReadOnlyMemory<byte>? ReadLine(out bool truncated)
    {
        line.ResetWrittenCount();
        overflowed = false;
        while (true)
        {
            if (start == end)
            {
                start = 0;
                end = stream.Read(buffer, 0, buffer.Length);
                if (end == 0)
                {
                    truncated = overflowed;
                    // Not "cond ? memory : null": null would convert to an empty memory, and the end would never come.
                    if (line.WrittenCount > 0 || overflowed)
                    {
                        return line.WrittenMemory;
                    }
                    return null;
                }
            }
            var available = buffer.AsSpan(start, end - start);
            var newline = available.IndexOf((byte)'\n');
            var chunk = newline >= 0 ? available[..newline] : available;
            Append(chunk);
            start += chunk.Length;
            if (newline >= 0)
            {
                start++;
                truncated = overflowed;
                var text = line.WrittenMemory;
                return text.Length > 0 && text.Span[^1] == (byte)'\r' ? text[..^1] : text;
            }
        }
    }

    private void Append(ReadOnlySpan<byte> chunk)
    {
        var room = maxLineBytes - line.WrittenCount;
        if (chunk.Length > room)
        {
            overflowed = true;
            chunk = chunk[..Math.Max(room, 0)];
        }
        line.Write(chunk);
    }
}
