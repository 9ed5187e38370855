using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Chat.SchemaMigrations;

public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// One library's versioned SQL files (embedded as Migrations/NNNN_name.sql), named by the table that records which
/// of them a database has. A library registers its set with
/// <see cref="SchemaMigrationsServiceCollectionExtensions.AddSchemaMigrations"/> when it is added to a service, and
/// <see cref="SchemaMigrator.MigrateDatabaseAsync"/> applies every registered set in registration order.
/// </summary>
/// <param name="Table">The set's name and the table of its applied versions; never renamed, since databases record under it.</param>
/// <param name="LockKey">The lock that nodes of the previous version take for this set alone (none for a new set).</param>
public sealed partial record MigrationSet(string Table, long? LockKey, IReadOnlyList<Migration> Migrations)
{
    public static MigrationSet FromAssembly(Assembly assembly, string table, long? lockKey = null)
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
