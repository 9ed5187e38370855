using Chat.BuildingBlocks.PubSub;
using Npgsql;

namespace Chat.Api.Events;

/// <summary>
/// The transactional outbox: runs a change and records the events it means in one database transaction, so both
/// commit or neither does. A node killed right after the commit has already recorded its events; a change that
/// fails (a conflict, a constraint, an exception) records nothing.
/// </summary>
public sealed class Outbox(NpgsqlDataSource db, IEventBus bus)
{
    /// <param name="change">The store writes, all in the given transaction.</param>
    /// <param name="events">What the change's result means for clients; may be empty (e.g. nothing changed).</param>
    public async Task<T> WriteAsync<T>(Func<NpgsqlTransaction, Task<T>> change, Func<T, IReadOnlyList<ClusterEvent>> events)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var result = await change(transaction);
        if (events(result) is { Count: > 0 } recorded)
        {
            await bus.PublishAsync(transaction, recorded);
        }
        await transaction.CommitAsync();
        return result;
    }
}
