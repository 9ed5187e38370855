using System.Net;

namespace Chat.Configuration;

/// <summary>ServiceSettings.TrustedProxies: space-separated addresses ("10.0.0.7") and networks ("10.0.0.0/8").</summary>
public static class TrustedNetworks
{
    public static bool TryParse(string value, out IReadOnlyList<IPNetwork> networks)
    {
        var parsed = new List<IPNetwork>();
        networks = parsed;
        foreach (var item in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPNetwork.TryParse(item, out var network))
            {
                parsed.Add(network);
            }
            else if (IPAddress.TryParse(item, out var address))
            {
                parsed.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                return false;
            }
        }
        return true;
    }
}
