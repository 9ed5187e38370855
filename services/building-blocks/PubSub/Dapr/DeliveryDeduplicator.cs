using System.Collections.Concurrent;

namespace Chat.BuildingBlocks.PubSub.Dapr;

/// <summary>
/// Runs the handling of each event id once. Dapr delivers at least once (broker redeliveries, our outbox relay
/// re-publishing after a crash, several sidecar workers), so the same CloudEvent id can arrive twice, even while the
/// first delivery is still being handled: the second then waits for the first and shares its outcome. A failed
/// handling is forgotten, so the redelivery that the RETRY asks for runs it again. The most recent
/// <c>capacity</c> handled ids are remembered.
/// </summary>
internal sealed class DeliveryDeduplicator(int capacity)
{
    private readonly ConcurrentDictionary<string, Task> handled = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> order = new();

    /// <returns>False when the id had already been handled (nothing ran); throws when the handling failed.</returns>
    public async Task<bool> RunOnceAsync(string id, Func<Task> handle)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = handled.GetOrAdd(id, mine.Task);
        if (current != mine.Task)
        {
            await current;
            return false;
        }
        try
        {
            await handle();
        }
        catch (Exception e)
        {
            handled.TryRemove(new KeyValuePair<string, Task>(id, mine.Task));
            mine.SetException(e);
            // Observed here, so an exception nobody else waited for is not reported as unobserved.
            _ = mine.Task.Exception;
            throw;
        }
        mine.SetResult();
        order.Enqueue(id);
        while (order.Count > capacity && order.TryDequeue(out var oldest))
        {
            handled.TryRemove(oldest, out _);
        }
        return true;
    }
}
