using Chat.Configuration;

namespace Chat.Realtime.Connections;

/// <summary>
/// ServiceSettings.MaximumWebSocketConnectionsPerUser and MaximumUnauthenticatedWebSocketConnectionsPerAddress, counted
/// on this node (both transports): a socket holds its place from the upgrade until it ends.
/// </summary>
internal sealed class SocketLimits(ChatConfig config)
{
    private readonly Dictionary<string, int> open = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <returns>The place, to be disposed when the socket ends; null when the user is at the cap.</returns>
    public IDisposable? TryOpenForUser(string userId) => TryTake("user:" + userId, config.ServiceSettings.MaximumWebSocketConnectionsPerUser);

    /// <returns>The place of a socket that has yet to authenticate; null when the address is at the cap.</returns>
    public IDisposable? TryOpenUnauthenticated(string address) => TryTake("addr:" + address, config.ServiceSettings.MaximumUnauthenticatedWebSocketConnectionsPerAddress);

    private Place? TryTake(string key, int cap)
    {
        lock (gate)
        {
            var count = open.GetValueOrDefault(key);
            if (count >= cap)
            {
                return null;
            }
            open[key] = count + 1;
        }
        return new Place(this, key);
    }

    private void Release(string key)
    {
        lock (gate)
        {
            if (open.GetValueOrDefault(key) <= 1)
            {
                open.Remove(key);
            }
            else
            {
                open[key]--;
            }
        }
    }

    private sealed class Place(SocketLimits limits, string key) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                limits.Release(key);
            }
        }
    }
}
