using System.Text;
using System.Web;
using Chat.Plugins.Sdk;

namespace Chat.Plugins.Probe;

/// <summary>
/// A test plugin. HTTP: the KV API (/kv/…), WebSocket events (/publish), settings (/config), the caller (/whoami),
/// the process (/pid) and the scheduled runs (/runs). Hooks: "#reject" in a message rejects it, "#shout" upper-cases
/// it; joins are recorded under <c>joined:{channel}:{user}</c>. With the setting ScheduleMilliseconds, a
/// <see cref="Cluster.Schedule"/> job records each run (start, end, process) under <c>runs</c>.
/// </summary>
public sealed class ProbePlugin : Plugin
{
    private ClusterJob? job;

    public override async Task OnActivate(CancellationToken cancellationToken)
    {
        var settings = await API.GetPluginConfig<Settings>(cancellationToken);
        if (settings.ScheduleMilliseconds > 0)
        {
            job = Cluster.Schedule(API, "probe", Cluster.MakeWaitForInterval(TimeSpan.FromMilliseconds(settings.ScheduleMilliseconds)), RecordRunAsync);
        }
    }

    public override async Task OnDeactivate(CancellationToken cancellationToken)
    {
        if (job is not null)
        {
            await job.CloseAsync();
        }
    }

    public override Task<PostDecision> MessageWillBePosted(PluginContext context, Post post, CancellationToken cancellationToken) =>
        Task.FromResult(
            post.Message.Contains("#reject", StringComparison.Ordinal) ? PostDecision.Reject("the probe rejects #reject")
            : post.Message.Contains("#shout", StringComparison.Ordinal) ? PostDecision.Replace(post with { Message = post.Message.ToUpperInvariant() })
            : PostDecision.Allow);

    public override Task UserHasJoinedChannel(PluginContext context, ChannelMember channelMember, User? actor, CancellationToken cancellationToken) =>
        API.KVSetJson($"joined:{channelMember.ChannelId}:{channelMember.UserId}", actor?.Id ?? "", cancellationToken: cancellationToken);

    public override async Task<PluginHttpResponse> ServeHTTP(PluginContext context, PluginHttpRequest request, CancellationToken cancellationToken)
    {
        var query = HttpUtility.ParseQueryString(request.QueryString);
        var key = query["key"] ?? "";
        try
        {
            switch (request.Method, request.Path)
            {
                case ("GET", "/whoami"):
                    return PluginHttpResponse.Json(new { user_id = request.UserId ?? "", forwarded_user_id = request.Header("Mattermost-User-Id") ?? "", authorization = request.Header("Authorization") ?? "" });
                case ("GET", "/pid"):
                    return PluginHttpResponse.Json(new { pid = Environment.ProcessId });
                case ("GET", "/config"):
                    return PluginHttpResponse.Json(await API.GetPluginConfig(cancellationToken));
                case ("PUT", "/kv"):
                    await API.KVSetWithExpiry(key, request.Body, long.Parse(query["expire"] ?? "0", System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
                    return PluginHttpResponse.Json(new { ok = true });
                case ("GET", "/kv"):
                    return await API.KVGet(key, cancellationToken) is { } value
                        ? new PluginHttpResponse { Body = value }
                        : PluginHttpResponse.Error(context, 404, "probe.kv.missing", "No such key.");
                case ("DELETE", "/kv"):
                    await API.KVDelete(key, cancellationToken);
                    return PluginHttpResponse.Json(new { ok = true });
                case ("DELETE", "/kv/all"):
                    await API.KVDeleteAll(cancellationToken);
                    return PluginHttpResponse.Json(new { ok = true });
                case ("GET", "/kv/list"):
                    return PluginHttpResponse.Json(await API.KVList(int.Parse(query["page"] ?? "0", System.Globalization.CultureInfo.InvariantCulture), int.Parse(query["per_page"] ?? "100", System.Globalization.CultureInfo.InvariantCulture), cancellationToken));
                case ("POST", "/kv/cas"):
                    var cas = request.ReadJson<CompareAndSet>() ?? new CompareAndSet();
                    var options = new PluginKVSetOptions { Atomic = cas.Atomic, OldValue = Bytes(cas.Old), ExpireInSeconds = cas.ExpireInSeconds };
                    return PluginHttpResponse.Json(new { ok = await API.KVSetWithOptions(key, Bytes(cas.New), options, cancellationToken) });
                case ("POST", "/kv/increment"):
                    return PluginHttpResponse.Json(new { value = await API.KVUpdateJson<long>(key, n => n + 1, cancellationToken: cancellationToken) });
                case ("POST", "/publish"):
                    await API.PublishWebSocketEvent(query["event"] ?? "", new Dictionary<string, object?> { ["text"] = Encoding.UTF8.GetString(request.Body) },
                        new WebSocketBroadcast { UserId = query["user_id"] ?? "", ChannelId = query["channel_id"] ?? "" }, cancellationToken);
                    return PluginHttpResponse.Json(new { ok = true });
                case ("GET", "/runs"):
                    return PluginHttpResponse.Json(await API.KVGetJson<List<Run>>("runs", cancellationToken) ?? []);
                default:
                    return PluginHttpResponse.NotFound(context);
            }
        }
        catch (PluginApiException e)
        {
            return PluginHttpResponse.Error(context, e.StatusCode is >= 400 and < 500 ? e.StatusCode : 422, e.Id, e.Message);
        }
    }

    private async Task RecordRunAsync(CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Long enough that a second copy running at the same time would overlap visibly.
        await Task.Delay(200, cancellationToken);
        var end = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var run = new Run(start, end, Environment.ProcessId, Environment.GetEnvironmentVariable("CHAT_PLUGIN_ID") ?? "");
        await API.KVUpdateJson<List<Run>>("runs", runs => [.. runs ?? [], run], cancellationToken: cancellationToken);
    }

    private static byte[]? Bytes(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);

    private sealed class Settings
    {
        public long ScheduleMilliseconds { get; set; }
    }

    private sealed record CompareAndSet
    {
        public bool Atomic { get; init; } = true;
        public string? Old { get; init; }
        public string? New { get; init; }
        public long ExpireInSeconds { get; init; }
    }

    private sealed record Run(long Start, long End, int Pid, string Plugin);
}
