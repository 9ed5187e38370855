namespace Chat.RateLimiting;

/// <summary>
/// <paramref name="count"/> requests per <paramref name="period"/>, plus <paramref name="maxBurst"/> more at once
/// (Mattermost's PerSec/MaxBurst, after the GCRA of the throttled library it uses).
/// </summary>
public sealed record RateQuota(int Count, TimeSpan Period, int MaxBurst)
{
    /// <summary>The X-RateLimit-Limit: requests a fresh key may make at once.</summary>
    public int Limit => MaxBurst + 1;

    /// <summary>The time one request uses up.</summary>
    internal long EmissionTicks => Math.Max(1, Period.Ticks / Count);
}

/// <summary>What a key's request did to its quota; times are how long from now.</summary>
public readonly record struct RateDecision(bool Allowed, int Limit, int Remaining, TimeSpan ResetAfter, TimeSpan RetryAfter);

/// <summary>
/// One key's generic cell rate algorithm state: the theoretical arrival time of its next request. Not thread-safe;
/// its owner serialises calls.
/// </summary>
public sealed class GcraCell(RateQuota quota)
{
    private long theoreticalArrival;

    /// <summary>Monotonic time in TimeSpan ticks, what <see cref="Take"/> expects.</summary>
    public static long Now() => System.Diagnostics.Stopwatch.GetElapsedTime(0).Ticks;

    /// <param name="now">Monotonic ticks (any origin, the same for every call).</param>
    public RateDecision Take(long now)
    {
        var emission = quota.EmissionTicks;
        var tat = Math.Max(theoreticalArrival, now);
        var next = tat + emission;
        var allowAt = next - (emission * quota.Limit);
        if (now < allowAt)
        {
            return new RateDecision(false, quota.Limit, 0, TimeSpan.FromTicks(tat - now), TimeSpan.FromTicks(allowAt - now));
        }
        theoreticalArrival = next;
        var remaining = (int)Math.Min(quota.Limit - 1, (now - allowAt) / emission);
        return new RateDecision(true, quota.Limit, remaining, TimeSpan.FromTicks(next - now), TimeSpan.Zero);
    }
}
