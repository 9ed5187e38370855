using System.Collections.Concurrent;

namespace Chat.Realtime.Connections;

/// <summary>The open connections of this node, by connection id.</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, ClientConnection> connections = new(StringComparer.Ordinal);

    public ICollection<ClientConnection> All => connections.Values;

    public int Count => connections.Count;

    public ClientConnection? Find(string id) => connections.TryGetValue(id, out var connection) ? connection : null;

    /// <summary>Registers an opened connection; an older socket of the same connection on this node is cut off.</summary>
    public void Add(ClientConnection connection)
    {
        ClientConnection? previous = null;
        connections.AddOrUpdate(connection.Id, connection, (_, old) =>
        {
            previous = old;
            return connection;
        });
        if (previous is not null && !ReferenceEquals(previous, connection))
        {
            previous.Abort("the client resumed on another socket");
        }
    }

    public void Remove(ClientConnection connection)
    {
        if (connection.Id.Length > 0)
        {
            connections.TryRemove(new KeyValuePair<string, ClientConnection>(connection.Id, connection));
        }
    }
}
