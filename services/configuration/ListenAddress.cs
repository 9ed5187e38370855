using System.Globalization;

namespace Chat.Configuration;

/// <summary>Mattermost's ListenAddress: ":8065" binds every interface, "127.0.0.1:8101" one.</summary>
public readonly record struct ListenAddress(string Host, int Port)
{
    public static bool TryParse(string value, out ListenAddress address)
    {
        address = default;
        var colon = value.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }
        var host = value[..colon];
        address = new ListenAddress(host.Length == 0 ? "0.0.0.0" : host, port);
        return true;
    }

    public string ToUrl() => $"http://{(Host == "0.0.0.0" ? "+" : Host)}:{Port}";
}
