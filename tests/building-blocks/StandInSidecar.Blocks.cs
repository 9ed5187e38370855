using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// The stand-in's state, lock and actor-reminder endpoints, answering as the Dapr runtime documents them and as it
/// behaves with the components deploy/dapr configures (state.postgresql v2, lock.redis):
/// <list type="bullet">
/// <item>State (docs.dapr.io/reference/api/state_api): GET 200 with the raw JSON value and an unquoted ETag header,
/// 204 when absent; POST a JSON array of items → 204, 409 ERR_STATE_SAVE on an ETag mismatch (the runtime maps the
/// component's ETag-mismatch error to 409: pkg/api/http/http.go etagError), 500 "no item was updated" for a
/// first-write item without ETag onto a live key (state.postgresql v2's upsert), 400 for item metadata that is not
/// a map of strings or an unknown concurrency; DELETE with If-Match → 204 or 409; bulk get answers every key, with
/// "data" and "etag" only for those that exist.</item>
/// <item>Lock (distributed_lock_api): {resourceId, lockOwner, expiryInSeconds} → {"success": bool} (SET NX with
/// expiry); unlock → {"status": n} with the number (pkg/api/http/lock.go, UseEnumNumbers).</item>
/// <item>Actors (actors_api): reminders created with {dueTime, period, data} in Go duration format → 204; deleted → 204.
/// <see cref="FireReminderAsync"/> then delivers one as the sidecar does.</item>
/// </list>
/// Every call is recorded in <see cref="Calls"/>; unknown component names get 400, a wrong token 401.
/// </summary>
internal sealed partial class StandInSidecar
{
    public const string StateStore = "statestore";
    public const string LockStore = "lockstore";

    private readonly Dictionary<string, (string Json, string ETag, DateTime? ExpiresAt)> state = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Owner, DateTime ExpiresAt)> locks = new(StringComparer.Ordinal);

    public ConcurrentQueue<Call> Calls { get; } = new();

    /// <summary>Registered reminders by "type/id/name": the request body the app sent.</summary>
    public ConcurrentDictionary<string, JsonElement> Reminders { get; } = new(StringComparer.Ordinal);

    public sealed record Call(string Method, string RawTarget, string Path, string? ContentType, string? Token, string? TraceParent, string? IfMatch, string Body);

    /// <summary>Delivers a registered reminder to the app as the sidecar does: PUT .../method/remind/{name} with {data, dueTime, period}.</summary>
    public async Task<HttpResponseMessage> FireReminderAsync(HttpClient app, string actorType, string actorId, string name, string? appToken)
    {
        var registered = Reminders[$"{actorType}/{actorId}/{name}"];
        var body = new Dictionary<string, object?>
        {
            ["data"] = registered.TryGetProperty("data", out var data) ? data : null,
            ["dueTime"] = registered.GetProperty("dueTime").GetString(),
            ["period"] = registered.GetProperty("period").GetString(),
        };
        var request = new HttpRequestMessage(HttpMethod.Put, $"/actors/{actorType}/{actorId}/method/remind/{name}") { Content = JsonContent.Create(body) };
        if (appToken is not null)
        {
            request.Headers.Add("dapr-api-token", appToken);
        }
        return await app.SendAsync(request);
    }

    private void MapBuildingBlocks(WebApplication app, string apiToken)
    {
        var blocks = app.MapGroup("").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            http.Request.EnableBuffering();
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            http.Request.Body.Position = 0;
            var token = http.Request.Headers["dapr-api-token"].FirstOrDefault();
            Calls.Enqueue(new Call(
                http.Request.Method, http.Features.Get<IHttpRequestFeature>()!.RawTarget, http.Request.Path.Value!, http.Request.ContentType, token,
                http.Request.Headers["traceparent"].FirstOrDefault(), http.Request.Headers.IfMatch.FirstOrDefault(), body));
            return token == apiToken ? await next(context) : Error(401, "ERR_UNAUTHORIZED", "invalid api token");
        });

        blocks.MapGet("/v1.0/state/{store}/{key}", (string store, string key, HttpContext context) =>
        {
            if (store != StateStore)
            {
                return Error(400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            }
            lock (state)
            {
                if (Live(key) is not { } entry)
                {
                    return Results.NoContent();
                }
                context.Response.Headers["ETag"] = entry.ETag;
                return Results.Text(entry.Json, "application/json");
            }
        });

        blocks.MapPost("/v1.0/state/{store}", async (string store, HttpContext context) =>
        {
            if (store != StateStore)
            {
                return Error(400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            }
            JsonElement items;
            try
            {
                items = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            }
            catch (JsonException e)
            {
                return Error(400, "ERR_MALFORMED_REQUEST", e.Message);
            }
            if (items.ValueKind != JsonValueKind.Array)
            {
                return Error(400, "ERR_MALFORMED_REQUEST", "the body is not an array of state items");
            }
            lock (state)
            {
                foreach (var item in items.EnumerateArray())
                {
                    if (Malformed(item) is { } problem)
                    {
                        return Error(400, "ERR_MALFORMED_REQUEST", problem);
                    }
                    var key = item.GetProperty("key").GetString()!;
                    var etag = item.TryGetProperty("etag", out var e) ? e.GetString() : null;
                    var firstWrite = item.TryGetProperty("options", out var o) && o.TryGetProperty("concurrency", out var c) && c.GetString() == "first-write";
                    var live = Live(key);
                    if (etag is not null && live?.ETag != etag)
                    {
                        return Error(409, "ERR_STATE_SAVE", $"failed saving state in state store {store}: possible etag mismatch. error from state store: ");
                    }
                    if (etag is null && firstWrite && live is not null)
                    {
                        return Error(500, "ERR_STATE_SAVE", $"failed saving state in state store {store}: no item was updated");
                    }
                    DateTime? expiresAt = item.TryGetProperty("metadata", out var m) && m.TryGetProperty("ttlInSeconds", out var ttl)
                        ? DateTime.UtcNow.AddSeconds(int.Parse(ttl.GetString()!, System.Globalization.CultureInfo.InvariantCulture))
                        : null;
                    state[key] = (item.GetProperty("value").GetRawText(), Guid.NewGuid().ToString(), expiresAt);
                }
            }
            return Results.NoContent();
        });

        blocks.MapDelete("/v1.0/state/{store}/{key}", (string store, string key, HttpContext context) =>
        {
            if (store != StateStore)
            {
                return Error(400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            }
            var ifMatch = context.Request.Headers.IfMatch.FirstOrDefault();
            lock (state)
            {
                if (ifMatch is not null && Live(key)?.ETag != ifMatch)
                {
                    return Error(409, "ERR_STATE_DELETE", $"failed deleting state with key {key}: possible etag mismatch. error from state store: ");
                }
                state.Remove(key);
            }
            return Results.NoContent();
        });

        blocks.MapPost("/v1.0/state/{store}/bulk", async (string store, HttpContext context) =>
        {
            if (store != StateStore)
            {
                return Error(400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            }
            var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            var answer = new List<Dictionary<string, object>>();
            lock (state)
            {
                foreach (var key in request.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!))
                {
                    var item = new Dictionary<string, object> { ["key"] = key };
                    if (Live(key) is { } entry)
                    {
                        item["data"] = JsonSerializer.Deserialize<JsonElement>(entry.Json);
                        item["etag"] = entry.ETag;
                    }
                    answer.Add(item);
                }
            }
            return Results.Json(answer);
        });

        blocks.MapPost("/v1.0-alpha1/lock/{store}", async (string store, HttpContext context) =>
        {
            if (store != LockStore)
            {
                return Error(400, "ERR_LOCK_STORE_NOT_FOUND", $"lock store {store} is not found");
            }
            var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            if (!NonEmptyString(request, "resourceId") || !NonEmptyString(request, "lockOwner")
                || !request.TryGetProperty("expiryInSeconds", out var expiry) || expiry.ValueKind != JsonValueKind.Number || expiry.GetInt32() <= 0)
            {
                return Error(400, "ERR_MALFORMED_REQUEST", "resourceId, lockOwner and a positive expiryInSeconds are required");
            }
            var resource = request.GetProperty("resourceId").GetString()!;
            lock (locks)
            {
                var free = !locks.TryGetValue(resource, out var held) || held.ExpiresAt <= DateTime.UtcNow;
                if (free)
                {
                    locks[resource] = (request.GetProperty("lockOwner").GetString()!, DateTime.UtcNow.AddSeconds(expiry.GetInt32()));
                }
                return Results.Json(new { success = free });
            }
        });

        blocks.MapPost("/v1.0-alpha1/unlock/{store}", async (string store, HttpContext context) =>
        {
            if (store != LockStore)
            {
                return Error(400, "ERR_LOCK_STORE_NOT_FOUND", $"lock store {store} is not found");
            }
            var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            if (!NonEmptyString(request, "resourceId") || !NonEmptyString(request, "lockOwner"))
            {
                return Error(400, "ERR_MALFORMED_REQUEST", "resourceId and lockOwner are required");
            }
            var resource = request.GetProperty("resourceId").GetString()!;
            lock (locks)
            {
                int status;
                if (!locks.TryGetValue(resource, out var held) || held.ExpiresAt <= DateTime.UtcNow)
                {
                    status = 1;
                }
                else if (held.Owner != request.GetProperty("lockOwner").GetString())
                {
                    status = 2;
                }
                else
                {
                    locks.Remove(resource);
                    status = 0;
                }
                return Results.Json(new { status });
            }
        });

        blocks.MapMethods("/v1.0/actors/{actorType}/{actorId}/reminders/{name}", ["POST", "PUT"], async (string actorType, string actorId, string name, HttpContext context) =>
        {
            var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            if (!request.TryGetProperty("dueTime", out var due) || due.ValueKind != JsonValueKind.String || !GoDuration().IsMatch(due.GetString()!)
                || !request.TryGetProperty("period", out var period) || period.ValueKind != JsonValueKind.String
                || period.GetString() is { Length: > 0 } p && !GoDuration().IsMatch(p))
            {
                return Error(400, "ERR_MALFORMED_REQUEST", "dueTime and period must be durations");
            }
            Reminders[$"{actorType}/{actorId}/{name}"] = request.Clone();
            return Results.NoContent();
        });

        blocks.MapDelete("/v1.0/actors/{actorType}/{actorId}/reminders/{name}", (string actorType, string actorId, string name) =>
        {
            Reminders.TryRemove($"{actorType}/{actorId}/{name}", out _);
            return Results.NoContent();
        });
    }

    private (string Json, string ETag, DateTime? ExpiresAt)? Live(string key) =>
        state.TryGetValue(key, out var entry) && (entry.ExpiresAt is null || entry.ExpiresAt > DateTime.UtcNow) ? entry : null;

    /// <summary>What the runtime's decoding into state.SetRequest (metadata map[string]string) and option checks refuse.</summary>
    private static string? Malformed(JsonElement item)
    {
        if (!NonEmptyString(item, "key") || !item.TryGetProperty("value", out _))
        {
            return "\"key\" is a required field";
        }
        if (item.TryGetProperty("etag", out var etag) && etag.ValueKind != JsonValueKind.String)
        {
            return "etag must be a string";
        }
        if (item.TryGetProperty("metadata", out var metadata)
            && (metadata.ValueKind != JsonValueKind.Object || metadata.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String)))
        {
            return "metadata must be a map of strings";
        }
        if (item.TryGetProperty("options", out var options)
            && options.TryGetProperty("concurrency", out var concurrency) && concurrency.GetString() is not ("first-write" or "last-write"))
        {
            return "unknown concurrency";
        }
        return null;
    }

    private static bool NonEmptyString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 };

    private static IResult Error(int status, string code, string message) => Results.Json(new { errorCode = code, message }, statusCode: status);

    [GeneratedRegex(@"^(?=.)(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")]
    private static partial Regex GoDuration();
}
