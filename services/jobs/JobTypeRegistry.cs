using Chat.Configuration;
using Chat.Jobs.Workers;

namespace Chat.Jobs;

/// <summary>When a recurring job type runs: every <see cref="Period"/>, or daily at <see cref="DailyAt"/> (server local time).</summary>
public sealed record JobSchedule(TimeSpan? Period, TimeOnly? DailyAt)
{
    public static JobSchedule Every(TimeSpan period) => new(period, null);

    public static JobSchedule Daily(string hhmm) =>
        new(null, TimeOnly.ParseExact(hhmm, "HH:mm", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>Runs one job of its type; see <see cref="JobRun"/> for reporting progress, data and cancellation.</summary>
public interface IJobWorker
{
    /// <returns>The final status: success, or warning when it finished with problems worth a look.</returns>
    Task<string> RunAsync(JobRun run);
}

/// <summary>A job type: the worker that runs its jobs, and, for a recurring type, its schedule under a configuration (null: not scheduled).</summary>
public sealed record JobType(string Name, Type Worker, Func<ChatConfig, JobSchedule?> Schedule);

/// <summary>
/// The job types this node runs and schedules. Adding a type: a worker class (IJobWorker) and one
/// <see cref="Add{TWorker}"/> line where the service is set up, plus its name in JobTypes (the API's list).
/// </summary>
public sealed class JobTypeRegistry(ChatConfig config)
{
    private readonly Dictionary<string, JobType> types = new(StringComparer.Ordinal);

    public IReadOnlyCollection<JobType> Types => types.Values;

    public IReadOnlyCollection<string> Names => types.Keys;

    public JobTypeRegistry Add<TWorker>(string name, Func<ChatConfig, JobSchedule?>? schedule = null) where TWorker : class, IJobWorker
    {
        types.Add(name, new JobType(name, typeof(TWorker), schedule ?? (_ => null)));
        return this;
    }

    public JobType? Find(string name) => types.GetValueOrDefault(name);

    /// <summary>
    /// The schedule in effect now (configuration reloads apply): JobSettings.ScheduleIntervalSeconds, when set,
    /// replaces every enabled type's own times.
    /// </summary>
    public JobSchedule? ScheduleOf(JobType type) =>
        type.Schedule(config) is not { } schedule ? null
        : config.JobSettings.ScheduleIntervalSeconds > 0 ? JobSchedule.Every(TimeSpan.FromSeconds(config.JobSettings.ScheduleIntervalSeconds))
        : schedule;
}
