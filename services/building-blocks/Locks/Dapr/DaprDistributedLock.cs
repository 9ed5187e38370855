using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.BuildingBlocks.Dapr;

namespace Chat.BuildingBlocks.Locks.Dapr;

/// <summary>
/// Locks through the sidecar's distributed lock API (alpha; https://docs.dapr.io/reference/api/distributed_lock_api/):
/// POST /v1.0-alpha1/lock/{store} {resourceId, lockOwner, expiryInSeconds} → 200 {"success": true|false};
/// POST /v1.0-alpha1/unlock/{store} {resourceId, lockOwner} → 200 {"status": 0..3}. The runtime writes its protobuf
/// answer with every field and the status as a number (pkg/api/http/lock.go); the docs also list 204 with no body,
/// read as the fields' defaults (false, 0).
/// </summary>
public sealed class DaprDistributedLock(DaprSidecarClient sidecar, BuildingBlocksOptions options) : IDistributedLock
{
    private string Store => DaprPath.Segment(options.LockStoreName);

    public async Task<bool> TryLockAsync(string resourceId, string owner, TimeSpan expiry, CancellationToken cancellationToken = default)
    {
        LockArguments.Validate(resourceId, owner);
        using var response = await sidecar.SendAsync(HttpMethod.Post, $"v1.0-alpha1/lock/{Store}", new LockRequest(resourceId, owner, LockArguments.Seconds(expiry)), null, cancellationToken);
        var answer = await ReadAsync(response, cancellationToken);
        // The docs' example shows "success": "true" as a string; accept both spellings.
        return answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("success", out var success)
            && (success.ValueKind == JsonValueKind.True || success.ValueKind == JsonValueKind.String && success.GetString() == "true");
    }

    public async Task<UnlockStatus> UnlockAsync(string resourceId, string owner, CancellationToken cancellationToken = default)
    {
        LockArguments.Validate(resourceId, owner);
        using var response = await sidecar.SendAsync(HttpMethod.Post, $"v1.0-alpha1/unlock/{Store}", new UnlockRequest(resourceId, owner), null, cancellationToken);
        var answer = await ReadAsync(response, cancellationToken);
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("status", out var status))
        {
            return UnlockStatus.Success;
        }
        return (UnlockStatus)status.GetInt32();
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await DaprSidecarClient.EnsureAsync(response, cancellationToken, HttpStatusCode.OK, HttpStatusCode.NoContent);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return string.IsNullOrWhiteSpace(body) ? default : JsonSerializer.Deserialize<JsonElement>(body);
    }

    private sealed record LockRequest(
        [property: JsonPropertyName("resourceId")] string ResourceId,
        [property: JsonPropertyName("lockOwner")] string LockOwner,
        [property: JsonPropertyName("expiryInSeconds")] int ExpiryInSeconds);

    private sealed record UnlockRequest(
        [property: JsonPropertyName("resourceId")] string ResourceId,
        [property: JsonPropertyName("lockOwner")] string LockOwner);
}
