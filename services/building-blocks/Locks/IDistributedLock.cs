namespace Chat.BuildingBlocks.Locks;

/// <summary>
/// Cluster-wide mutual exclusion with expiry (Dapr's distributed lock building block:
/// POST /v1.0-alpha1/lock/{store} and /v1.0-alpha1/unlock/{store}), e.g. for leader-only jobs. A lock that is not
/// released expires after its expiry, so a crashed holder cannot block the others for ever; a holder that works
/// longer than the expiry must re-acquire in time. Providers (Embedded: a PostgreSQL table; Dapr: lock.redis) come
/// with a later issue.
/// </summary>
public interface IDistributedLock
{
    /// <summary>
    /// Takes the lock on <paramref name="resourceId"/> for <paramref name="owner"/> (unique per holder) for
    /// <paramref name="expiry"/> (whole seconds). False when someone else holds it. Dapr: {resourceId, lockOwner,
    /// expiryInSeconds} → {success}.
    /// </summary>
    Task<bool> TryLockAsync(string resourceId, string owner, TimeSpan expiry, CancellationToken cancellationToken = default);

    /// <summary>Releases the lock if <paramref name="owner"/> holds it. Dapr: {resourceId, lockOwner} → {status}.</summary>
    Task<UnlockStatus> UnlockAsync(string resourceId, string owner, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of an unlock, with Dapr's status codes as values.</summary>
public enum UnlockStatus
{
    Success = 0,
    LockDoesNotExist = 1,
    LockBelongsToOthers = 2,
    InternalError = 3,
}
