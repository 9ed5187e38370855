namespace Chat.Configuration;

/// <summary>Which nodes schedule background jobs and which run them (Mattermost's JobSettings).</summary>
public sealed class JobSettings
{
    public bool RunJobs { get; set; } = true;
    public bool RunScheduler { get; set; } = true;
    /// <summary>Finished jobs older than this are deleted; -1 keeps them.</summary>
    public int CleanupJobsThresholdDays { get; set; } = -1;
    /// <summary>Not a Mattermost setting: when above zero, every recurring job type runs every this many seconds instead of at its daily time (drills, tests).</summary>
    public int ScheduleIntervalSeconds { get; set; }
    /// <summary>Not a Mattermost setting: a scheduler node silent for this long is passed over and the next lowest id leads.</summary>
    public int LeaderTimeoutMilliseconds { get; set; } = 2000;
    /// <summary>Not a Mattermost setting: how often idle workers look for pending jobs.</summary>
    public int PollIntervalMilliseconds { get; set; } = 1000;
    /// <summary>Not a Mattermost setting: a running job without activity for this long lost its worker and is retried (or failed).</summary>
    public int StaleJobAfterSeconds { get; set; } = 60;
}

public sealed class PluginSettings
{
    public bool Enable { get; set; } = true;
    public bool EnableUploads { get; set; }
    public bool EnableHealthCheck { get; set; } = true;
    public string Directory { get; set; } = "./plugins";
    public string ClientDirectory { get; set; } = "./client/plugins";
    /// <summary>Not a Mattermost setting: the most a plugin bundle may unpack to (a small archive can inflate enormously).</summary>
    public long MaxUnpackedBundleBytes { get; set; } = 1L << 30;
    /// <summary>Each plugin's settings by plugin id, as in Mattermost's config.json; what the plugin API's GetPluginConfig returns.</summary>
    public Dictionary<string, Dictionary<string, System.Text.Json.JsonElement>> Plugins { get; set; } = [];
    /// <summary>Not a Mattermost setting: the longest a server waits for one plugin hook (including ServeHTTP) before it goes on without it.</summary>
    public int HookTimeoutMilliseconds { get; set; } = 10_000;
}

public sealed class DataRetentionSettings
{
    public bool EnableMessageDeletion { get; set; }
    public bool EnableFileDeletion { get; set; }
    public int MessageRetentionDays { get; set; } = 365;
    /// <summary>When above zero it takes precedence over <see cref="MessageRetentionDays"/>.</summary>
    public int MessageRetentionHours { get; set; }
    public int FileRetentionDays { get; set; } = 365;
    /// <summary>"HH:MM", server time.</summary>
    public string DeletionJobStartTime { get; set; } = "02:00";
    public int BatchSize { get; set; } = 3000;
    public int TimeBetweenBatchesMilliseconds { get; set; } = 100;
}

public sealed class MessageExportSettings
{
    public bool EnableExport { get; set; }
    /// <summary>"actiance", "csv" or "globalrelay".</summary>
    public string ExportFormat { get; set; } = "actiance";
    /// <summary>"HH:MM", server time.</summary>
    public string DailyRunTime { get; set; } = "01:00";
    /// <summary>Milliseconds since the epoch; posts before it are never exported.</summary>
    public long ExportFromTimestamp { get; set; }
    public int BatchSize { get; set; } = 10_000;
    /// <summary>Not a Mattermost setting: a pause between export batches, so an export does not crowd out the primary.</summary>
    public int TimeBetweenBatchesMilliseconds { get; set; }
}

/// <summary>
/// Not a Mattermost section: the search_indexing job, which fills posts.search_vector for posts that have none
/// (bulk-loaded or imported rows; every row after the vectors were cleared). Posts get their vector when written,
/// so a daily run usually finds nothing to do.
/// </summary>
public sealed class SearchIndexingSettings
{
    public bool EnableIndexing { get; set; } = true;
    /// <summary>"HH:MM", server time.</summary>
    public string DailyRunTime { get; set; } = "03:00";
    public int BatchSize { get; set; } = 5000;
    /// <summary>A pause between batches, so a rebuild does not crowd out the primary.</summary>
    public int TimeBetweenBatchesMilliseconds { get; set; }
}

/// <summary>Checks for the sections above and for the replica lists; each message names the setting.</summary>
public static class JobAndDataSettingsValidator
{
    private static readonly string[] ExportFormats = ["actiance", "csv", "globalrelay"];

    public static void Validate(ChatConfig config)
    {
        var retention = config.DataRetentionSettings;
        Require(retention.MessageRetentionDays >= 1, "DataRetentionSettings.MessageRetentionDays", "must be at least 1");
        Require(retention.MessageRetentionHours >= 0, "DataRetentionSettings.MessageRetentionHours", "must not be negative");
        Require(retention.FileRetentionDays >= 1, "DataRetentionSettings.FileRetentionDays", "must be at least 1");
        Require(IsTimeOfDay(retention.DeletionJobStartTime), "DataRetentionSettings.DeletionJobStartTime", $"'{retention.DeletionJobStartTime}' is not HH:MM");
        Require(retention.BatchSize is >= 1 and <= 1_000_000, "DataRetentionSettings.BatchSize", "must be between 1 and 1000000");
        Require(retention.TimeBetweenBatchesMilliseconds is >= 0 and <= 3_600_000, "DataRetentionSettings.TimeBetweenBatchesMilliseconds", "must be between 0 and 3600000");
        var export = config.MessageExportSettings;
        Require(ExportFormats.Contains(export.ExportFormat), "MessageExportSettings.ExportFormat", $"'{export.ExportFormat}' is not one of {string.Join(", ", ExportFormats)}");
        Require(IsTimeOfDay(export.DailyRunTime), "MessageExportSettings.DailyRunTime", $"'{export.DailyRunTime}' is not HH:MM");
        Require(export.ExportFromTimestamp >= 0, "MessageExportSettings.ExportFromTimestamp", "must not be negative");
        Require(export.BatchSize is >= 1 and <= 1_000_000, "MessageExportSettings.BatchSize", "must be between 1 and 1000000");
        Require(config.JobSettings.CleanupJobsThresholdDays >= -1, "JobSettings.CleanupJobsThresholdDays", "must be -1 (keep) or more");
        Require(export.TimeBetweenBatchesMilliseconds is >= 0 and <= 3_600_000, "MessageExportSettings.TimeBetweenBatchesMilliseconds", "must be between 0 and 3600000");
        var search = config.SearchIndexingSettings;
        Require(IsTimeOfDay(search.DailyRunTime), "SearchIndexingSettings.DailyRunTime", $"'{search.DailyRunTime}' is not HH:MM");
        Require(search.BatchSize is >= 1 and <= 1_000_000, "SearchIndexingSettings.BatchSize", "must be between 1 and 1000000");
        Require(search.TimeBetweenBatchesMilliseconds is >= 0 and <= 3_600_000, "SearchIndexingSettings.TimeBetweenBatchesMilliseconds", "must be between 0 and 3600000");
        var jobs = config.JobSettings;
        Require(jobs.ScheduleIntervalSeconds is >= 0 and <= 86_400, "JobSettings.ScheduleIntervalSeconds", "must be between 0 (daily times) and 86400");
        Require(jobs.LeaderTimeoutMilliseconds is >= 200 and <= 600_000, "JobSettings.LeaderTimeoutMilliseconds", "must be between 200 and 600000");
        Require(jobs.PollIntervalMilliseconds is >= 10 and <= 600_000, "JobSettings.PollIntervalMilliseconds", "must be between 10 and 600000");
        Require(jobs.StaleJobAfterSeconds is >= 1 and <= 86_400, "JobSettings.StaleJobAfterSeconds", "must be between 1 and 86400");
        var plugins = config.PluginSettings;
        Require(!plugins.Enable || !string.IsNullOrWhiteSpace(plugins.Directory), "PluginSettings.Directory", "must be set while plugins are enabled");
        Require(!plugins.Enable || !string.IsNullOrWhiteSpace(plugins.ClientDirectory), "PluginSettings.ClientDirectory", "must be set while plugins are enabled");
        Require(plugins.MaxUnpackedBundleBytes is >= 1024 and <= 1L << 40, "PluginSettings.MaxUnpackedBundleBytes", "must be between 1024 and 1099511627776");
        Require(config.FileSettings.MaxFileSize is >= 1024 and <= 1L << 40, "FileSettings.MaxFileSize", "must be between 1024 and 1099511627776");
        var files = config.FileSettings;
        Require(files.DriverName is "local" or "amazons3", "FileSettings.DriverName", "must be \"local\" or \"amazons3\"");
        Require(files.DriverName != "amazons3" || files.AmazonS3Bucket.Length > 0, "FileSettings.AmazonS3Bucket", "must be set when DriverName is amazons3");
        Require(!files.AmazonS3SignV2, "FileSettings.AmazonS3SignV2", "signature version 2 is not supported (version 4 is used)");
        Require(files.AmazonS3UploadPartSizeBytes is >= 5_242_880 and <= 1L << 30, "FileSettings.AmazonS3UploadPartSizeBytes", "must be between 5242880 and 1073741824");
        Require(files.AmazonS3RequestTimeoutMilliseconds is >= 1000 and <= 3_600_000, "FileSettings.AmazonS3RequestTimeoutMilliseconds", "must be between 1000 and 3600000");
        Require(config.FileSettings.MaxImageResolution is >= 1 and <= 1L << 32, "FileSettings.MaxImageResolution", "must be between 1 and 4294967296");
        Require(!config.FileSettings.EnablePublicLink || config.FileSettings.PublicLinkSalt.Length >= 32, "FileSettings.PublicLinkSalt", "must have at least 32 characters while EnablePublicLink is on");
        Require(config.FileSettings.UnattachedFileRetentionHours is >= 1 and <= 87_600, "FileSettings.UnattachedFileRetentionHours", "must be between 1 and 87600");
        Require(plugins.HookTimeoutMilliseconds is >= 100 and <= 600_000, "PluginSettings.HookTimeoutMilliseconds", "must be between 100 and 600000");
        var sql = config.SqlSettings;
        Require(sql.ReadYourWritesMilliseconds is >= 0 and <= 600_000, "SqlSettings.ReadYourWritesMilliseconds", "must be between 0 and 600000");
        ValidateConnectionStrings(sql.DataSourceReplicas, "SqlSettings.DataSourceReplicas");
        ValidateConnectionStrings(sql.DataSourceSearchReplicas, "SqlSettings.DataSourceSearchReplicas");
    }

    private static void ValidateConnectionStrings(List<string> list, string setting)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var valid = !string.IsNullOrWhiteSpace(list[i]);
            if (valid)
            {
                try
                {
                    _ = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = list[i] };
                }
                catch (ArgumentException)
                {
                    valid = false;
                }
            }
            // The value itself is a secret (it may hold a password), so only its position is named.
            Require(valid, $"{setting}[{i}]", "is not a connection string (Host=...;Port=...;Username=...;Database=...)");
        }
    }

    private static bool IsTimeOfDay(string value) =>
        TimeOnly.TryParseExact(value, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _);

    private static void Require(bool condition, string setting, string problem)
    {
        if (!condition)
        {
            throw new ConfigException($"{setting}: {problem}");
        }
    }
}
