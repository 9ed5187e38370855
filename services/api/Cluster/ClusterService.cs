using System.Globalization;
using System.Text.Json.Serialization;
using Chat.ClusterMembership;

namespace Chat.Api.Cluster;

/// <summary>
/// A node as GET /api/v4/cluster/status reports it: Mattermost's ClusterInfo fields, then which service it runs,
/// its status, its last heartbeat (ms, database clock) and whether it leads the jobs cluster.
/// </summary>
public sealed record ClusterNodeStatus(
    string Id,
    string Version,
    string SchemaVersion,
    string ConfigHash,
    [property: JsonPropertyName("ipaddress")] string IpAddress,
    string Hostname,
    string Service,
    string Status,
    long LastPingAt,
    bool IsLeader);

public sealed class ClusterService(ClusterDiscovery discovery)
{
    /// <summary>Every node of this node's cluster (ClusterSettings.ClusterName); for system admins, as the route group demands.</summary>
    public async Task<IReadOnlyList<ClusterNodeStatus>> GetStatusAsync(CancellationToken cancellationToken)
    {
        var nodes = await discovery.ListAsync(cancellationToken);
        var statuses = NodeStatus.Evaluate(nodes);
        return [.. nodes.Select(n => new ClusterNodeStatus(
            n.Id,
            n.Version,
            n.SchemaVersion.ToString(CultureInfo.InvariantCulture),
            n.ConfigHash,
            $"{n.IpAddress}:{n.Port}",
            n.Hostname,
            n.Service,
            statuses[n.Id],
            n.LastPingAt,
            n.IsLeader))];
    }
}
