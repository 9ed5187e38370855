using Dapper;
using Npgsql;

namespace Chat.ClusterMembership;

/// <summary>
/// Version skew between nodes and the database. The schema records (schema_release) the newest product version
/// that has started against it and the oldest one that may still run: one minor version back
/// (<see cref="ProductVersion.OldestCompatible"/>). Migrations are written to keep that promise: additive, so code of
/// the previous minor version still works on the new schema while a rolling upgrade replaces the nodes. A node older
/// than that refuses to start rather than run against a schema it does not understand.
/// </summary>
public static class SchemaCompatibility
{
    /// <summary>Raises the record to <paramref name="version"/> when newer; throws when the schema has moved beyond it.</summary>
    public static async Task CheckAndRecordAsync(NpgsqlDataSource dataSource, ProductVersion version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var mine = new { Version = version.ToString(), MinCodeVersion = version.OldestCompatible.ToString() };
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO schema_release (version, min_code_version) VALUES (@Version, @MinCodeVersion) ON CONFLICT DO NOTHING",
            mine, tx, cancellationToken: cancellationToken));
        var recorded = await connection.QuerySingleAsync<(string Version, string MinCodeVersion)>(new CommandDefinition(
            "SELECT version, min_code_version FROM schema_release FOR UPDATE", transaction: tx, cancellationToken: cancellationToken));
        var newest = Parse(recorded.Version);
        var oldest = Parse(recorded.MinCodeVersion);
        if (version < oldest)
        {
            throw new IncompatibleSchemaException(
                $"This node runs version {version}, but version {newest} has already upgraded the database schema, which supports "
                + $"nodes from version {oldest} on (nodes may be at most one minor version behind the newest that started). "
                + $"Upgrade this node to {oldest} or later.");
        }
        if (version > newest)
        {
            var raised = version.OldestCompatible > oldest ? version.OldestCompatible : oldest;
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schema_release SET version = @Version, min_code_version = @MinCodeVersion, updated_at = now()",
                new { Version = version.ToString(), MinCodeVersion = raised.ToString() }, tx, cancellationToken: cancellationToken));
        }
        await tx.CommitAsync(cancellationToken);
    }

    private static ProductVersion Parse(string text) =>
        ProductVersion.TryParse(text, out var parsed) ? parsed : throw new IncompatibleSchemaException($"The database records version '{text}' in schema_release, which is not major.minor.patch.");
}

/// <summary>This node's code is too old (or too unknown) for the database schema.</summary>
public sealed class IncompatibleSchemaException(string message) : Exception(message);
