using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reflection;
using Chat.Configuration;

namespace Chat.ServiceDefaults;

/// <summary>Who this process is: reported in headers, the WebSocket hello and the cluster view.</summary>
public sealed class NodeInfo(string service, ChatConfig config)
{
    /// <summary>
    /// Replaces the version this node reports and checks against the database schema. Only for rolling-upgrade
    /// drills and tests, which need nodes of different versions from one build.
    /// </summary>
    public const string VersionOverrideVariable = "CHAT_VERSION_OVERRIDE";

    // RFC 4648 base32hex, lowercase: its characters sort in the same order as the values they encode.
    private const string SortableAlphabet = "0123456789abcdefghijklmnopqrstuv";

    public string Service { get; } = service;

    /// <summary>
    /// A fresh id per process start, as Mattermost's cluster node ids are: 26 characters encoding a UUIDv7 in an
    /// order-preserving alphabet, so comparing two ids (ordinally) compares the nodes' start times.
    /// </summary>
    public string NodeId { get; } = NewSortableId();

    /// <summary>The address other nodes reach this one at: the listen address when it names one, else the first non-loopback IPv4.</summary>
    public string IpAddress { get; } = FindIpAddress(config.ServiceSettings.ListenAddress);

    public int Port { get; } = ListenAddress.TryParse(config.ServiceSettings.ListenAddress, out var listen) ? listen.Port : 0;

    /// <summary>ClusterSettings.OverrideHostname, else the IP address (UseIpAddress) or the machine's name.</summary>
    public string Hostname { get; } = config.ClusterSettings.OverrideHostname is { Length: > 0 } name ? name
        : config.ClusterSettings.UseIpAddress ? FindIpAddress(config.ServiceSettings.ListenAddress)
        : Dns.GetHostName();

    public string Version { get; } = Environment.GetEnvironmentVariable(VersionOverrideVariable) is { Length: > 0 } overridden
        ? overridden
        : typeof(NodeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Compared between nodes to flag a configuration mismatch; only system admins see it (cluster status).</summary>
    public string ConfigHash { get; } = ConfigLoader.Hash(config);

    private readonly string _publicConfigHash = ConfigLoader.PublicHash(config);

    /// <summary>Mattermost's X-Version-Id: version, build number, config hash, licensed. Public, so its hash leaves the secrets out.</summary>
    public string VersionHeader => $"{Version}.{Version}.{_publicConfigHash}.false";

    private static string NewSortableId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7().TryWriteBytes(bytes, bigEndian: true, out _);
        // 128 bits in 5-bit groups: 25 full characters and a last one holding the remaining 3 bits.
        Span<char> chars = stackalloc char[26];
        int buffer = 0, bits = 0, n = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                chars[n++] = SortableAlphabet[(buffer >> bits) & 31];
            }
        }
        chars[n] = SortableAlphabet[(buffer << (5 - bits)) & 31];
        return new string(chars);
    }

    private static string FindIpAddress(string listenAddress)
    {
        if (ListenAddress.TryParse(listenAddress, out var listen) && IPAddress.TryParse(listen.Host, out var bound) && !bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any))
        {
            return bound.ToString();
        }
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString() ?? "127.0.0.1";
        }
        catch (NetworkInformationException)
        {
            return "127.0.0.1";
        }
    }
}
