using Chat.Store.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Api.System;

public static class SystemEndpoints
{
    public static void MapSystem(this RouteGroupBuilder api)
    {
        api.MapGet("/system/ping", PingAsync);
    }

    /// <summary>
    /// Mattermost's ping: anonymous {"status":"OK"}; with get_server_status=true an admin also learns
    /// whether the database and the file store answer.
    /// </summary>
    private static async Task<IResult> PingAsync(Session? session, HealthCheckService health, bool? get_server_status, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object> { ["status"] = "OK", ["ActiveSearchBackend"] = "database" };
        if (get_server_status == true && session is { IsSystemAdmin: true })
        {
            var report = await health.CheckHealthAsync(check => check.Tags.Contains("ready"), cancellationToken);
            body["database_status"] = report.Status == HealthStatus.Healthy ? "OK" : "UNHEALTHY";
            var files = await health.CheckHealthAsync(check => check.Tags.Contains("filestore"), cancellationToken);
            body["filestore_status"] = files.Status == HealthStatus.Healthy ? "OK" : "UNHEALTHY";
        }
        return TypedResults.Ok(body);
    }
}
