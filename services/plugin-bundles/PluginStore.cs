using Chat.SchemaMigrations;
using Dapper;
using Npgsql;

namespace Chat.Plugins.Bundles;

/// <summary>A row of the plugins table.</summary>
public sealed record InstalledPlugin(string Id, BundleManifest Manifest, bool Enabled, string BundleHash, long BundleSize, long InstalledAt, long UpdatedAt);

/// <summary>One api node's report on one plugin (Mattermost's PluginStatus fields, state as Mattermost numbers it).</summary>
public sealed record PluginNodeStatus(string NodeId, string PluginId, string PluginPath, int State, string Error, string Name, string Description, string Version);

/// <summary>The plugins table and the per-node statuses, on the primary.</summary>
public sealed class PluginStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id AS Id, manifest::text AS Manifest, enabled AS Enabled, bundle_hash AS BundleHash, bundle_size AS BundleSize,
        installed_at AS InstalledAt, updated_at AS UpdatedAt
        """;

    private const string NowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

    /// <summary>Takes the cluster-wide plugin change lock until <paramref name="transaction"/> ends.</summary>
    public static Task LockChangesAsync(NpgsqlTransaction transaction) =>
        transaction.Connection!.ExecuteAsync("SELECT pg_advisory_xact_lock(@PluginChanges)", new { AdvisoryLockKeys.PluginChanges }, transaction);

    public async Task<IReadOnlyList<InstalledPlugin>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM plugins ORDER BY id", cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToPlugin())];
    }

    public static async Task<InstalledPlugin?> GetAsync(NpgsqlTransaction transaction, string id)
    {
        var row = await transaction.Connection!.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM plugins WHERE id = @id", new { id }, transaction);
        return row?.ToPlugin();
    }

    /// <summary>Installs or replaces a plugin; it starts disabled either way.</summary>
    public static async Task<InstalledPlugin> SaveAsync(NpgsqlTransaction transaction, BundleManifest manifest, string bundleHash, long bundleSize)
    {
        var row = await transaction.Connection!.QuerySingleAsync<Row>($"""
            INSERT INTO plugins (id, manifest, enabled, bundle_hash, bundle_size, installed_at, updated_at)
            VALUES (@Id, @Manifest::jsonb, false, @BundleHash, @BundleSize, {NowMs}, {NowMs})
            ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest, enabled = false, bundle_hash = excluded.bundle_hash,
                bundle_size = excluded.bundle_size, installed_at = excluded.installed_at, updated_at = excluded.updated_at
            RETURNING {Columns}
            """, new { manifest.Id, Manifest = manifest.ToJson(), BundleHash = bundleHash, BundleSize = bundleSize }, transaction);
        return row.ToPlugin();
    }

    /// <returns>False when no such plugin is installed.</returns>
    public static async Task<bool> SetEnabledAsync(NpgsqlTransaction transaction, string id, bool enabled) =>
        await transaction.Connection!.ExecuteAsync(
            $"UPDATE plugins SET enabled = @enabled, updated_at = {NowMs} WHERE id = @id", new { id, enabled }, transaction) == 1;

    /// <returns>False when no such plugin is installed.</returns>
    public static async Task<bool> DeleteAsync(NpgsqlTransaction transaction, string id) =>
        await transaction.Connection!.ExecuteAsync("DELETE FROM plugins WHERE id = @id", new { id }, transaction) == 1;

    /// <summary>Replaces everything <paramref name="nodeId"/> reported with <paramref name="statuses"/>.</summary>
    public async Task ReplaceStatusesAsync(string nodeId, IReadOnlyList<PluginNodeStatus> statuses, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM plugin_statuses WHERE node_id = @nodeId AND NOT (plugin_id = ANY(@ids))",
            new { nodeId, ids = statuses.Select(s => s.PluginId).ToArray() }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO plugin_statuses (node_id, plugin_id, plugin_path, state, error, name, description, version, updated_at)
            VALUES (@NodeId, @PluginId, @PluginPath, @State, @Error, @Name, @Description, @Version, {NowMs})
            ON CONFLICT (node_id, plugin_id) DO UPDATE SET plugin_path = excluded.plugin_path, state = excluded.state,
                error = excluded.error, name = excluded.name, description = excluded.description, version = excluded.version,
                updated_at = excluded.updated_at
            """, statuses, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Every node's statuses, by plugin then node.</summary>
    public async Task<IReadOnlyList<PluginNodeStatus>> ListStatusesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PluginNodeStatus>(new CommandDefinition("""
            SELECT node_id AS NodeId, plugin_id AS PluginId, plugin_path AS PluginPath, state AS State, error AS Error,
                   name AS Name, description AS Description, version AS Version
            FROM plugin_statuses ORDER BY plugin_id COLLATE "C", node_id COLLATE "C"
            """, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Drops the statuses of nodes other than <paramref name="knownNodeIds"/> (nodes that left the cluster).</summary>
    public async Task DeleteStatusesExceptAsync(IReadOnlyCollection<string> knownNodeIds, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM plugin_statuses WHERE NOT (node_id = ANY(@ids))",
            new { ids = knownNodeIds.ToArray() }, cancellationToken: cancellationToken));
    }

    private sealed record Row(string Id, string Manifest, bool Enabled, string BundleHash, long BundleSize, long InstalledAt, long UpdatedAt)
    {
        public InstalledPlugin ToPlugin() => new(Id, BundleManifest.FromJson(Manifest), Enabled, BundleHash, BundleSize, InstalledAt, UpdatedAt);
    }
}
