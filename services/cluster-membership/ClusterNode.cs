namespace Chat.ClusterMembership;

/// <summary>One row of cluster_discovery, with liveness judged by the database's clock when it was read.</summary>
public sealed record ClusterNode
{
    public required string Id { get; init; }
    public required string Service { get; init; }
    public required string ClusterName { get; init; }
    public required string Hostname { get; init; }
    public required string IpAddress { get; init; }
    public int Port { get; init; }
    public required string Version { get; init; }
    public int SchemaVersion { get; init; }
    public required string ConfigHash { get; init; }
    /// <summary>Milliseconds since the epoch, by the database's clock.</summary>
    public long StartedAt { get; init; }
    /// <summary>Milliseconds since the epoch, by the database's clock.</summary>
    public long LastPingAt { get; init; }
    public bool IsLeader { get; init; }
    /// <summary>Heartbeated within ClusterSettings.NodeDownAfterMilliseconds.</summary>
    public bool Alive { get; init; }
}

public static class NodeStatus
{
    public const string Ok = "ok";
    public const string Down = "down";
    public const string ConfigMismatch = "config_mismatch";
    public const string VersionMismatch = "version_mismatch";

    /// <summary>
    /// Each node's status. A node that stopped heartbeating is down. Live nodes are compared with the cluster's
    /// majority (not with whichever node answers, so every node gives the same answer): the version most live nodes
    /// run, ties going to the newest (the target of a rolling upgrade), and the configuration hash most live nodes
    /// have, ties going to the longest-running node's. A differing version wins over a differing configuration.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Evaluate(IReadOnlyCollection<ClusterNode> nodes)
    {
        var alive = nodes.Where(n => n.Alive).ToList();
        var version = alive.GroupBy(n => n.Version)
            .OrderByDescending(g => g.Count())
            .ThenByDescending(g => ProductVersion.TryParse(g.Key, out var v) ? v : default)
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key)
            .FirstOrDefault();
        var configHash = alive.GroupBy(n => n.ConfigHash)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Select(n => n.Id).Min(StringComparer.Ordinal), StringComparer.Ordinal)
            .Select(g => g.Key)
            .FirstOrDefault();
        return nodes.ToDictionary(n => n.Id, n =>
            !n.Alive ? Down
            : n.Version != version ? VersionMismatch
            : n.ConfigHash != configHash ? ConfigMismatch
            : Ok);
    }
}
