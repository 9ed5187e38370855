using Chat.Configuration;
using Chat.ServiceDefaults;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.ClusterMembership;

/// <summary>
/// This node's row in cluster_discovery and everyone's view of the table. It has a connection pool of its own, so
/// heartbeats never queue behind request traffic for the store's connections (a node busy serving is not down).
/// </summary>
public sealed partial class ClusterDiscovery : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ClusterSettings _settings;
    private readonly NodeInfo _node;
    private readonly ILogger<ClusterDiscovery> _logger;
    private int? _schemaVersion;

    public ClusterDiscovery(ChatConfig config, NodeInfo node, ILogger<ClusterDiscovery> logger)
    {
        _settings = config.ClusterSettings;
        _node = node;
        _logger = logger;
        var connection = new NpgsqlConnectionStringBuilder(config.SqlSettings.DataSource)
        {
            MaxPoolSize = 2,
            MinPoolSize = 1,
            // A heartbeat stuck longer than the down threshold is worthless; the next one tries afresh.
            CommandTimeout = Math.Max(1, config.ClusterSettings.NodeDownAfterMilliseconds / 1000),
            Timeout = 5,
            ApplicationName = $"chat-{node.Service}-membership",
        };
        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
    }

    public string ClusterName => _settings.ClusterName;

    public TimeSpan HeartbeatInterval => TimeSpan.FromMilliseconds(_settings.HeartbeatIntervalMilliseconds);

    /// <summary>
    /// Checks this node's version against the schema's (throws <see cref="IncompatibleSchemaException"/>), replaces the
    /// row of a predecessor on the same address and registers (MigrateDatabaseAsync has created the tables by then).
    /// </summary>
    public async Task JoinAsync(int schemaVersion, CancellationToken cancellationToken)
    {
        if (!ProductVersion.TryParse(_node.Version, out var version))
        {
            throw new IncompatibleSchemaException($"This node's version '{_node.Version}' is not major.minor.patch (check {NodeInfo.VersionOverrideVariable}).");
        }
        await SchemaCompatibility.CheckAndRecordAsync(_dataSource, version, cancellationToken);
        _schemaVersion = schemaVersion;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Two live processes cannot listen on one address, so a row there belongs to a dead predecessor (SIGKILLed,
        // then restarted): the restarted node takes its place instead of leaving it listed as down for hours.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM cluster_discovery WHERE cluster_name = @ClusterName AND service = @Service AND hostname = @Hostname AND ip_address = @IpAddress AND port = @Port AND id <> @Id",
            Row(), cancellationToken: cancellationToken));
        await HeartbeatAsync(cancellationToken);
        LogJoined(_logger, _node.NodeId, _node.Service, _settings.ClusterName, _node.Version);
    }

    /// <summary>Records that this node is alive; re-creates the row if it was cleaned up meanwhile.</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO cluster_discovery (id, service, cluster_name, hostname, ip_address, port, version, schema_version, config_hash)
            VALUES (@Id, @Service, @ClusterName, @Hostname, @IpAddress, @Port, @Version, @SchemaVersion, @ConfigHash)
            ON CONFLICT (id) DO UPDATE SET last_ping_at = now()
            """, Row(), cancellationToken: cancellationToken));
    }

    /// <summary>A graceful stop: the node leaves the list at once rather than show as down.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM cluster_discovery WHERE id = @Id", new { Id = _node.NodeId }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes rows that have not heartbeated for ClusterSettings.StaleNodeRetentionHours.</summary>
    public async Task<int> RemoveStaleAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM cluster_discovery WHERE last_ping_at < now() - make_interval(hours => @Hours)",
            new { Hours = _settings.StaleNodeRetentionHours }, cancellationToken: cancellationToken));
    }

    /// <summary>Every node of this node's cluster, alive or not, oldest first within each service.</summary>
    public async Task<IReadOnlyList<ClusterNode>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ClusterNode>(new CommandDefinition("""
            SELECT id AS Id, service AS Service, cluster_name AS ClusterName, hostname AS Hostname, ip_address AS IpAddress,
                   port AS Port, version AS Version, schema_version AS SchemaVersion, config_hash AS ConfigHash,
                   (extract(epoch FROM started_at) * 1000)::bigint AS StartedAt,
                   (extract(epoch FROM last_ping_at) * 1000)::bigint AS LastPingAt,
                   is_leader AS IsLeader,
                   last_ping_at > now() - make_interval(secs => @DownAfterSeconds) AS Alive
            FROM cluster_discovery
            WHERE cluster_name = @ClusterName
            ORDER BY service, id COLLATE "C"
            """, new { _settings.ClusterName, DownAfterSeconds = _settings.NodeDownAfterMilliseconds / 1000.0 }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private object Row() => new
    {
        Id = _node.NodeId,
        _node.Service,
        _settings.ClusterName,
        _node.Hostname,
        _node.IpAddress,
        _node.Port,
        _node.Version,
        SchemaVersion = _schemaVersion ?? throw new InvalidOperationException("The node has not joined the cluster yet (JoinClusterAsync)."),
        _node.ConfigHash,
    };

    [LoggerMessage(LogLevel.Information, "Joined cluster {ClusterName} as {Service} node {NodeId}, version {Version}")]
    private static partial void LogJoined(ILogger logger, string nodeId, string service, string clusterName, string version);
}
