using System.Diagnostics;

namespace Chat.Load.Measurement;

/// <summary>One call of the operation under test: null when it succeeded, otherwise a short label of what went wrong.</summary>
public delegate Task<string?> Operation(int client);

/// <summary>
/// N clients, each issuing its next operation as soon as the last one answered. Operations that complete inside
/// the measurement window (after the warm-up) are counted and timed; the rest only warm caches, pools and JIT.
/// </summary>
public static class ClosedLoop
{
    public static async Task<LoadResult> RunAsync(int clients, TimeSpan warmup, TimeSpan duration, Operation operation)
    {
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + Ticks(warmup);
        var windowEnd = windowStart + Ticks(duration);
        var workers = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var recorder = new Recorder();
            while (Stopwatch.GetTimestamp() < windowEnd)
            {
                var began = Stopwatch.GetTimestamp();
                string? failure;
                try
                {
                    failure = await operation(client);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or Npgsql.NpgsqlException)
                {
                    failure = $"{e.GetType().Name}: {e.Message}";
                }
                var ended = Stopwatch.GetTimestamp();
                if (began >= windowStart && ended <= windowEnd)
                {
                    recorder.Add(ended - began, failure);
                }
            }
            return recorder;
        })).ToArray();
        var recorders = await Task.WhenAll(workers);
        return LoadResult.Merge(recorders, duration);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>One client's samples; kept apart so clients never contend on a shared list.</summary>
    internal sealed class Recorder
    {
        public List<long> Latencies { get; } = new(capacity: 16_384);
        public Dictionary<string, int> Failures { get; } = [];

        public void Add(long elapsedTicks, string? failure)
        {
            if (failure is null)
            {
                Latencies.Add(elapsedTicks);
            }
            else
            {
                Failures[failure] = Failures.GetValueOrDefault(failure) + 1;
            }
        }
    }
}
