namespace Chat.Jobs.Core;

/// <summary>A background job as Mattermost's API shows it.</summary>
public sealed record Job
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public long Priority { get; init; }
    public long CreateAt { get; init; }
    public long StartAt { get; init; }
    public long LastActivityAt { get; init; }
    public required string Status { get; init; }
    public long Progress { get; init; }
    /// <summary>Mattermost's StringMap: the job's parameters and results (an export's cursor and file, for instance).</summary>
    public Dictionary<string, string> Data { get; init; } = [];
}

public static class JobStatus
{
    public const string Pending = "pending";
    public const string InProgress = "in_progress";
    public const string Success = "success";
    public const string Error = "error";
    public const string CancelRequested = "cancel_requested";
    public const string Canceled = "canceled";
    public const string Warning = "warning";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Pending, InProgress, Success, Error, CancelRequested, Canceled, Warning,
    };
}

/// <summary>The job types this build knows; the API refuses others. Each has a worker in the jobs service.</summary>
public static class JobTypes
{
    public const string DataRetention = "data_retention";
    public const string MessageExport = "message_export";
    public const string SearchIndexing = "search_indexing";
    /// <summary>Removes uploads never attached to a post (FileSettings.UnattachedFileRetentionHours).</summary>
    public const string FileHousekeeping = "file_housekeeping";

    /// <summary>Deletes ended sessions (expired, or idle past ServiceSettings.SessionIdleTimeoutInMinutes).</summary>
    public const string SessionCleanup = "session_cleanup";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { DataRetention, MessageExport, SearchIndexing, FileHousekeeping, SessionCleanup };
}
