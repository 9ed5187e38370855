using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>Ready only while the primary answers; a load balancer then routes around a node that lost its database.</summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = db.CreateCommand("SELECT 1");
            command.CommandTimeout = 2;
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("database unreachable", e);
        }
    }
}
