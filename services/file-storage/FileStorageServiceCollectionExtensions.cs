using Chat.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.FileStorage;

public static class FileStorageServiceCollectionExtensions
{
    /// <summary>The file store FileSettings.DriverName names, and the image processing of uploads.</summary>
    public static IServiceCollection AddFileStorage(this IServiceCollection services, ChatConfig config)
    {
        services.AddSingleton<IFileStore>(new LocalFileStore(config.FileSettings.Directory));
        services.AddSingleton<ImageProcessor>();
        services.AddHealthChecks().AddCheck<FileStoreHealthCheck>("filestore", tags: ["filestore"]);
        return services;
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
