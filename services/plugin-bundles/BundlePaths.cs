namespace Chat.Plugins.Bundles;

/// <summary>Paths inside a bundle: relative, '/'-separated, never above the bundle's root.</summary>
public static class BundlePaths
{
    public const int MaxLength = 1024;

    /// <summary>
    /// <paramref name="path"/> without "." segments, empty segments and trailing slashes ("" is the root itself).
    /// Refused: absolute paths, ".." segments, backslashes, drive letters and control characters.
    /// </summary>
    public static bool TryNormalize(string path, out string normalized, out string? problem)
    {
        normalized = "";
        problem = null;
        if (path.Length > MaxLength)
        {
            problem = $"longer than {MaxLength} characters";
            return false;
        }
        if (path.StartsWith('/') || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
        {
            problem = "an absolute path";
            return false;
        }
        if (path.Any(c => c == '\\' || char.IsControl(c)))
        {
            problem = "a backslash or control character in the name";
            return false;
        }
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }
            if (segment == "..")
            {
                problem = "a '..' segment (path traversal)";
                return false;
            }
            segments.Add(segment);
        }
        normalized = string.Join('/', segments);
        return true;
    }

    /// <summary>The folder holding <paramref name="path"/> ("" for the root).</summary>
    public static string Parent(string path) => path.LastIndexOf('/') is var i and >= 0 ? path[..i] : "";

    /// <summary>
    /// Where a symbolic link at <paramref name="linkPath"/> pointing at <paramref name="target"/> leads, resolved
    /// lexically from the link's folder; null when that is outside the bundle or the target is absolute.
    /// </summary>
    public static string? ResolveLink(string linkPath, string target)
    {
        if (target.Length == 0 || target.Length > MaxLength || target.StartsWith('/') || target.Any(c => c == '\\' || char.IsControl(c)))
        {
            return null;
        }
        var segments = Parent(linkPath).Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var segment in target.Split('/'))
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
                    break;
            }
        }
        return string.Join('/', segments);
    }
}
