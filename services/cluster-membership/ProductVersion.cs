using System.Globalization;

namespace Chat.ClusterMembership;

/// <summary>A product version, major.minor.patch with an optional suffix ("-beta", "+build") that comparisons ignore.</summary>
public readonly record struct ProductVersion(int Major, int Minor, int Patch) : IComparable<ProductVersion>
{
    public static bool TryParse(string? text, out ProductVersion version)
    {
        version = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        var core = text.Split('-', '+')[0].Split('.');
        if (core.Length != 3)
        {
            return false;
        }
        var parts = new int[3];
        for (var i = 0; i < 3; i++)
        {
            if (!int.TryParse(core[i], NumberStyles.None, CultureInfo.InvariantCulture, out parts[i]))
            {
                return false;
            }
        }
        version = new ProductVersion(parts[0], parts[1], parts[2]);
        return true;
    }

    /// <summary>
    /// The oldest version that may run against a schema this version has migrated: the previous minor version of
    /// the same major (so a rolling upgrade can run old and new nodes side by side); none older after a major bump.
    /// </summary>
    public ProductVersion OldestCompatible => Minor > 0 ? new ProductVersion(Major, Minor - 1, 0) : new ProductVersion(Major, 0, 0);

    public int CompareTo(ProductVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(ProductVersion a, ProductVersion b) => a.CompareTo(b) < 0;

    public static bool operator >(ProductVersion a, ProductVersion b) => a.CompareTo(b) > 0;

    public static bool operator <=(ProductVersion a, ProductVersion b) => a.CompareTo(b) <= 0;

    public static bool operator >=(ProductVersion a, ProductVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}");
}
