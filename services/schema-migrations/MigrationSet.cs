using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Chat.SchemaMigrations;

public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// The versioned SQL files a library embeds (Migrations/NNNN_name.sql), the table that records which ones a
/// database has, and the advisory lock under which nodes apply them.
/// </summary>
public sealed partial record MigrationSet(string Table, long LockKey, IReadOnlyList<Migration> Migrations)
{
    /// <summary>The schema version the code expects.</summary>
    public int Latest => Migrations[^1].Version;

    public static MigrationSet FromAssembly(Assembly assembly, string table, long lockKey)
    {
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (!match.Success)
            {
                continue;
            }
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        if (migrations.Count == 0 || migrations.Select(m => m.Version).Distinct().Count() != migrations.Count)
        {
            throw new InvalidOperationException($"The migrations embedded in {assembly.GetName().Name} are missing or have duplicate versions.");
        }
        return new MigrationSet(table, lockKey, migrations);
    }

    [GeneratedRegex(@"Migrations\.(\d{4})_(\w+)\.sql$")]
    private static partial Regex MigrationName();
}
