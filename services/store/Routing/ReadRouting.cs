using System.Collections.Concurrent;
using Chat.Configuration;

namespace Chat.Store.Routing;

/// <summary>
/// Read-your-writes for replica routing. A request that writes does all its reads on the primary; after a user's
/// write, that user's reads stay on the primary for SqlSettings.ReadYourWritesMilliseconds, longer than streaming
/// replication normally lags. The window is kept per node: the edge should keep a user on one api node
/// (nginx hash on the token) for it to cover a write on one node followed by a read on another.
/// </summary>
public sealed class ReadRouting(LiveConfig config)
{
    private static readonly AsyncLocal<bool> primaryOnly = new();
    private readonly ConcurrentDictionary<string, long> recentWriters = new(StringComparer.Ordinal);
    private long nextSweep;

    /// <summary>Set for the current request (flows into everything it awaits).</summary>
    public static bool PrimaryOnly
    {
        get => primaryOnly.Value;
        set => primaryOnly.Value = value;
    }

    public void RecordWrite(string userId)
    {
        var now = Environment.TickCount64;
        recentWriters[userId] = now + config.Current.SqlSettings.ReadYourWritesMilliseconds;
        if (now > Interlocked.Read(ref nextSweep))
        {
            Interlocked.Exchange(ref nextSweep, now + 10_000);
            foreach (var (user, until) in recentWriters)
            {
                if (until < now)
                {
                    recentWriters.TryRemove(user, out _);
                }
            }
        }
    }

    public bool WroteRecently(string userId) =>
        recentWriters.TryGetValue(userId, out var until) && until > Environment.TickCount64;
}
