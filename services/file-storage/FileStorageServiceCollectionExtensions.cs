using Chat.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.FileStorage;

public static partial class FileStorageServiceCollectionExtensions
{
    /// <summary>The file store FileSettings.DriverName names, and the image processing of uploads.</summary>
    public static IServiceCollection AddFileStorage(this IServiceCollection services, ChatConfig config)
    {
        services.AddSingleton<IFileStore>(config.FileSettings.DriverName == "amazons3"
            ? new S3FileStore(config.FileSettings)
            : new LocalFileStore(config.FileSettings.Directory));
        services.AddSingleton<ImageProcessor>();
        services.AddHealthChecks().AddCheck<FileStoreHealthCheck>("filestore", tags: ["filestore"]);
        services.AddHostedService<FileStoreStartupCheck>();
        return services;
    }

    /// <summary>Checks the store once at start-up (creating an S3 bucket that is missing) and says so when it fails; the node still starts.</summary>
    private sealed partial class FileStoreStartupCheck(IFileStore store, ILogger<FileStoreStartupCheck> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await store.CheckAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogUnavailable(e);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(LogLevel.Error, "The file store does not answer; uploads and downloads will fail until it does")]
        private partial void LogUnavailable(Exception e);
    }

    private sealed class FileStoreHealthCheck(IFileStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await store.CheckAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("The file store does not answer.", e);
            }
        }
    }
}
