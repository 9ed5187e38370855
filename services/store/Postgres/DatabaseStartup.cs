using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Store.Postgres;

public static partial class DatabaseStartup
{
    /// <summary>
    /// Waits for the database (it may still be starting next to us), then migrates it. Nodes call this before
    /// they listen, so a node that answers requests always runs against the schema it was built for.
    /// </summary>
    public static async Task<int> MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseStartup).FullName!);
        var migrator = services.GetRequiredService<Migrator>();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var version = await migrator.MigrateAsync(cancellationToken);
                LogReady(logger, version);
                return version;
            }
            catch (NpgsqlException e) when (e.IsTransient || e.InnerException is System.Net.Sockets.SocketException)
            {
                if (attempt >= 60)
                {
                    throw;
                }
                LogWaiting(logger, e.Message, attempt);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Database schema at version {Version}")]
    private static partial void LogReady(ILogger logger, int version);

    [LoggerMessage(LogLevel.Warning, "Database not reachable yet ({Reason}); attempt {Attempt}")]
    private static partial void LogWaiting(ILogger logger, string reason, int attempt);
}
