using System.Reflection;
using Chat.Configuration;

namespace Chat.ServiceDefaults;

/// <summary>Who this process is: reported in headers, the WebSocket hello and the cluster view.</summary>
public sealed class NodeInfo(string service, ChatConfig config)
{
    public string Service { get; } = service;

    /// <summary>A fresh id per process start, as Mattermost's cluster node ids are.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N")[..26];

    public string Hostname { get; } = config.ClusterSettings.OverrideHostname is { Length: > 0 } name ? name : System.Net.Dns.GetHostName();

    public string Version { get; } = typeof(NodeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public string ConfigHash { get; } = ConfigLoader.Hash(config);

    /// <summary>Mattermost's X-Version-Id: version, build number, config hash, licensed.</summary>
    public string VersionHeader => $"{Version}.{Version}.{ConfigHash}.false";
}
