using System.Net;
using System.Net.Sockets;

namespace Chat.Testing;

public static class FreePort
{
    private const int Lowest = 10_000;

    /// <summary>
    /// A loopback port nobody listens on right now, for a server that binds it soon after. Chosen below the kernel's
    /// ephemeral range: a node binds its port only after its start-up (seconds), and meanwhile every outgoing
    /// connection on the machine takes an ephemeral port, which could be this one.
    /// </summary>
    public static int Next()
    {
        var low = EphemeralRangeStart();
        if (low - Lowest >= 1_000)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var port = Random.Shared.Next(Lowest, low);
                if (IsFree(port))
                {
                    return port;
                }
            }
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768; // Linux's default
        }
    }
}
