using System.Net;
using System.Net.Sockets;

namespace Chat.Testing;

public static class FreePort
{
    /// <summary>A loopback port nobody listens on right now (the kernel picks it; the caller binds it soon after).</summary>
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
