using System.Diagnostics;
using System.Globalization;

namespace Chat.Load.Measurement;

/// <summary>Successful operations per second and their latency distribution (every sample kept, sorted), plus failures by kind.</summary>
public sealed class LoadResult
{
    private readonly double[] latenciesMs;

    private LoadResult(double[] sortedLatenciesMs, IReadOnlyDictionary<string, int> failures, TimeSpan duration)
    {
        latenciesMs = sortedLatenciesMs;
        Failures = failures;
        Duration = duration;
    }

    public int Successes => latenciesMs.Length;
    public int FailureCount => Failures.Values.Sum();
    public IReadOnlyDictionary<string, int> Failures { get; }
    public TimeSpan Duration { get; }
    public double PerSecond => Successes / Duration.TotalSeconds;
    public double MaxMs => latenciesMs.Length == 0 ? 0 : latenciesMs[^1];

    /// <summary>Nearest-rank percentile in milliseconds.</summary>
    public double PercentileMs(double percent)
    {
        if (latenciesMs.Length == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(percent / 100 * latenciesMs.Length);
        return latenciesMs[Math.Clamp(rank - 1, 0, latenciesMs.Length - 1)];
    }

    /// <summary>The two summary lines every scenario prints for a measured operation.</summary>
    public void Print(string unit)
    {
        Console.WriteLine(Invariant($"  {unit}/s  {PerSecond,10:F1}   ({Successes} ok, {FailureCount} failed in {Duration.TotalSeconds:F0} s)"));
        Console.WriteLine(Invariant($"  latency ms  p50 {PercentileMs(50):F2}  p95 {PercentileMs(95):F2}  p99 {PercentileMs(99):F2}  max {MaxMs:F2}"));
        foreach (var (failure, count) in Failures.OrderByDescending(f => f.Value))
        {
            Console.WriteLine($"  failed {count,6} x {failure}");
        }
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    internal static LoadResult Merge(IReadOnlyList<ClosedLoop.Recorder> recorders, TimeSpan duration)
    {
        var ms = recorders.SelectMany(r => r.Latencies).Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
        Array.Sort(ms);
        var failures = new Dictionary<string, int>();
        foreach (var (failure, count) in recorders.SelectMany(r => r.Failures))
        {
            failures[failure] = failures.GetValueOrDefault(failure) + count;
        }
        return new LoadResult(ms, failures, duration);
    }
}
