using Chat.BuildingBlocks;
using Chat.Configuration;
using Chat.Jobs.Core;
using Chat.FileStorage;
using Chat.Jobs.Export;
using Chat.Jobs.Files;
using Chat.Jobs.Retention;
using Chat.Jobs.Scheduling;
using Chat.Jobs.Search;
using Chat.Jobs.Sessions;
using Chat.Jobs.Workers;

namespace Chat.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// The job types (worker + schedule), the workers (JobSettings.RunJobs) and the scheduler (JobSettings.RunScheduler):
    /// the embedded leader election, or under the Dapr provider an actor reminder per recurring type.
    /// </summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, ChatConfig config)
    {
        services.AddJobsCore();
        services.AddSingleton(sp => new JobTypeRegistry(sp.GetRequiredService<ChatConfig>())
            .Add<DataRetentionWorker>(JobTypes.DataRetention, c => c.DataRetentionSettings.EnableMessageDeletion ? JobSchedule.Daily(c.DataRetentionSettings.DeletionJobStartTime) : null)
            .Add<MessageExportWorker>(JobTypes.MessageExport, c => c.MessageExportSettings.EnableExport ? JobSchedule.Daily(c.MessageExportSettings.DailyRunTime) : null)
            .Add<SearchIndexingWorker>(JobTypes.SearchIndexing, c => c.SearchIndexingSettings.EnableIndexing ? JobSchedule.Daily(c.SearchIndexingSettings.DailyRunTime) : null)
            .Add<FileHousekeepingWorker>(JobTypes.FileHousekeeping, _ => JobSchedule.Every(TimeSpan.FromHours(1)))
            .Add<SessionCleanupWorker>(JobTypes.SessionCleanup, _ => JobSchedule.Every(TimeSpan.FromHours(1))));
        services.AddSingleton<DataRetentionWorker>();
        services.AddSingleton<MessageExportWorker>();
        services.AddSingleton<SearchIndexingWorker>();
        services.AddFileStorage(config);
        services.AddSingleton<FileHousekeepingWorker>();
        services.AddSingleton<SessionCleanupWorker>();
        services.AddSingleton<SlotScheduler>();
        if (config.JobSettings.RunJobs)
        {
            services.AddHostedService<WorkerHost>();
        }
        if (config.JobSettings.RunScheduler)
        {
            if (string.Equals(config.DaprSettings.Provider, nameof(BuildingBlockProvider.Dapr), StringComparison.OrdinalIgnoreCase))
            {
                services.AddSingleton<ReminderScheduling>();
                services.AddHostedService(sp => sp.GetRequiredService<ReminderScheduling>());
            }
            else
            {
                services.AddHostedService<LeaderElection>();
            }
        }
        return services;
    }

    /// <summary>Under the Dapr provider, takes the schedule reminders' callbacks; call before the app listens.</summary>
    public static void HandleJobReminders(this IServiceProvider services) =>
        services.GetService<ReminderScheduling>()?.HandleReminders();
}
