using System.Security.Cryptography;
using System.Text;

namespace Chat.Store.Model;

/// <summary>Mattermost-compatible identifiers: 26 characters of base32 over 128 bits.</summary>
public static class Ids
{
    // Mattermost's alphabet, so ids look and validate the same as the ones its clients know.
    private const string Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";
    public const int Length = 26;

    /// <summary>A new id; time-ordered (UUIDv7) so fresh rows land at the right edge of their B-tree.</summary>
    public static string New() => Encode(Guid.CreateVersion7().ToByteArray(bigEndian: true));

    /// <summary>A secret token of the same shape, from 128 random bits.</summary>
    public static string NewToken() => Encode(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The id of something the server itself defines (a built-in role), derived from its name: the same on every
    /// node and after every restart, with nothing to store or agree on.
    /// </summary>
    public static string Derived(string name) => Encode(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));

    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != Length)
        {
            return false;
        }
        foreach (var c in id)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9')))
            {
                return false;
            }
        }
        return true;
    }

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[Length];
        int buffer = 0, bits = 0, n = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                chars[n++] = Alphabet[(buffer >> bits) & 31];
            }
        }
        chars[n++] = Alphabet[(buffer << (5 - bits)) & 31];
        return new string(chars[..n]);
    }
}
