namespace Chat.BuildingBlocks.Locks;

/// <summary>
/// Cluster-wide mutual exclusion with expiry (Dapr's distributed lock building block:
/// POST /v1.0-alpha1/lock/{store} and /v1.0-alpha1/unlock/{store}), e.g. for leader-only jobs. A lock that is not
/// released expires after its expiry, so a crashed holder cannot block the others for ever. A lock cannot be
/// extended (Dapr has no renewal, and a holder's own TryLock fails while it holds the lock): choose an expiry longer
/// than the guarded work, and treat the lock as lost once it has passed. Providers: Embedded (a PostgreSQL table,
/// the database clock) and Dapr (the lock component named by DaprSettings.LockStoreName).
/// </summary>
public interface IDistributedLock
{
    /// <summary>
    /// Takes the lock on <paramref name="resourceId"/> for <paramref name="owner"/> (unique per holder) for
    /// <paramref name="expiry"/> (whole seconds, rounded up). False when it is held, by anyone, and not expired.
    /// Dapr: {resourceId, lockOwner, expiryInSeconds} → {success}.
    /// </summary>
    Task<bool> TryLockAsync(string resourceId, string owner, TimeSpan expiry, CancellationToken cancellationToken = default);

    /// <summary>Releases the lock if <paramref name="owner"/> holds it. Dapr: {resourceId, lockOwner} → {status}.</summary>
    Task<UnlockStatus> UnlockAsync(string resourceId, string owner, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of an unlock, with Dapr's status codes as values.</summary>
public enum UnlockStatus
{
    Success = 0,
    /// <summary>Nobody holds the lock (never taken, released, or expired).</summary>
    LockDoesNotExist = 1,
    LockBelongsToOthers = 2,
    InternalError = 3,
}

internal static class LockArguments
{
    public static void Validate(string resourceId, string owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceId);
        ArgumentException.ThrowIfNullOrEmpty(owner);
    }

    public static int Seconds(TimeSpan expiry) =>
        expiry > TimeSpan.Zero
            ? (int)Math.Min(int.MaxValue, Math.Max(1, Math.Ceiling(expiry.TotalSeconds)))
            : throw new ArgumentOutOfRangeException(nameof(expiry), "A lock's expiry must be positive.");
}
