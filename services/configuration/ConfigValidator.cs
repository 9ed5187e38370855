namespace Chat.Configuration;

/// <summary>Rejects configurations a node must not start with; each message names the setting.</summary>
public static class ConfigValidator
{
    public static void Validate(ChatConfig config)
    {
        var s = config.ServiceSettings;
        Require(ListenAddress.TryParse(s.ListenAddress, out _), "ServiceSettings.ListenAddress", $"'{s.ListenAddress}' is not host:port or :port");
        Require(s.MaximumPayloadSizeBytes is >= 1024 and <= 1L << 30, "ServiceSettings.MaximumPayloadSizeBytes", "must be between 1024 and 1073741824");
        Require(s.SessionLengthWebInHours is >= 1 and <= 24 * 365 * 10, "ServiceSettings.SessionLengthWebInHours", "must be between 1 and 87600");
        // Mattermost's minimum: below it the 5-minute granularity of last_activity_at would end active sessions.
        Require(s.SessionIdleTimeoutInMinutes is 0 or (>= 5 and <= 60 * 24 * 365 * 10), "ServiceSettings.SessionIdleTimeoutInMinutes", "must be 0 (never) or between 5 and 5256000");
        Require(s.MaximumLoginAttempts is >= 1 and <= 1000, "ServiceSettings.MaximumLoginAttempts", "must be between 1 and 1000");
        Require(s.MaxPostSizeRunes is >= 1 and <= 65_535, "ServiceSettings.MaxPostSizeRunes", "must be between 1 and 65535");
        Require(s.UniqueEmojiReactionLimitPerPost is >= 1 and <= 500, "ServiceSettings.UniqueEmojiReactionLimitPerPost", "must be between 1 and 500");
        Require(s.UserStatusAwayTimeout is >= 1 and <= 86_400, "ServiceSettings.UserStatusAwayTimeout", "must be between 1 and 86400 seconds");
        var sql = config.SqlSettings;
        Require(sql.MaxOpenConns is >= 1 and <= 1000, "SqlSettings.MaxOpenConns", "must be between 1 and 1000");
        Require(sql.MaxIdleConns >= 0 && sql.MaxIdleConns <= sql.MaxOpenConns, "SqlSettings.MaxIdleConns", "must be between 0 and MaxOpenConns");
        Require(sql.QueryTimeout is >= 1 and <= 3600, "SqlSettings.QueryTimeout", "must be between 1 and 3600 seconds");
        Require(config.PasswordSettings.MinimumLength is >= 5 and <= 64, "PasswordSettings.MinimumLength", "must be between 5 and 64");
        Require(config.TeamSettings.MaxUsersPerTeam >= 1, "TeamSettings.MaxUsersPerTeam", "must be at least 1");
        Require(config.TeamSettings.MaxChannelsPerTeam >= 1, "TeamSettings.MaxChannelsPerTeam", "must be at least 1");
        Require(!string.IsNullOrWhiteSpace(config.ClusterSettings.ClusterName), "ClusterSettings.ClusterName", "must not be empty");
        var cluster = config.ClusterSettings;
        Require(cluster.HeartbeatIntervalMilliseconds is >= 100 and <= 60_000, "ClusterSettings.HeartbeatIntervalMilliseconds", "must be between 100 and 60000");
        // Down only after several missed heartbeats, so one slow write does not flap a node.
        Require(cluster.NodeDownAfterMilliseconds >= 2 * cluster.HeartbeatIntervalMilliseconds && cluster.NodeDownAfterMilliseconds <= 600_000, "ClusterSettings.NodeDownAfterMilliseconds", "must be at least twice HeartbeatIntervalMilliseconds and at most 600000");
        Require(cluster.StaleNodeRetentionHours is >= 1 and <= 24 * 30, "ClusterSettings.StaleNodeRetentionHours", "must be between 1 and 720");
        var dapr = config.DaprSettings;
        Require(dapr.Provider.Equals("Embedded", StringComparison.OrdinalIgnoreCase) || dapr.Provider.Equals("Dapr", StringComparison.OrdinalIgnoreCase), "DaprSettings.Provider", $"'{dapr.Provider}' is not Embedded or Dapr");
        Require(!string.IsNullOrWhiteSpace(dapr.PubSubName), "DaprSettings.PubSubName", "must not be empty");
        Require(!string.IsNullOrWhiteSpace(dapr.StateStoreName), "DaprSettings.StateStoreName", "must not be empty");
        Require(!string.IsNullOrWhiteSpace(dapr.LockStoreName), "DaprSettings.LockStoreName", "must not be empty");
        Require(dapr.EventRetentionMinutes is >= 1 and <= 60 * 24 * 90, "DaprSettings.EventRetentionMinutes", "must be between 1 and 129600");
        // Resuming replays the event log from the client's checkpoint, so the log must still hold the whole window.
        Require(s.WebSocketResumeWindowMinutes >= 1 && s.WebSocketResumeWindowMinutes <= dapr.EventRetentionMinutes, "ServiceSettings.WebSocketResumeWindowMinutes", "must be between 1 and DaprSettings.EventRetentionMinutes");
        Require(s.MaximumWebSocketConnectionsPerUser is >= 1 and <= 10_000, "ServiceSettings.MaximumWebSocketConnectionsPerUser", "must be between 1 and 10000");
        Require(s.MaximumUnauthenticatedWebSocketConnectionsPerAddress is >= 1 and <= 100_000, "ServiceSettings.MaximumUnauthenticatedWebSocketConnectionsPerAddress", "must be between 1 and 100000");
        Require(TrustedNetworks.TryParse(s.TrustedProxies, out _), "ServiceSettings.TrustedProxies", $"'{s.TrustedProxies}' is not a space-separated list of addresses or networks (CIDR)");
        var rate = config.RateLimitSettings;
        Require(rate.PerSec is >= 1 and <= 1_000_000, "RateLimitSettings.PerSec", "must be between 1 and 1000000");
        Require(rate.MaxBurst is >= 0 and <= 1_000_000, "RateLimitSettings.MaxBurst", "must be between 0 and 1000000");
        Require(rate.MemoryStoreSize is >= 1 and <= 10_000_000, "RateLimitSettings.MemoryStoreSize", "must be between 1 and 10000000");
        Require(rate.VaryByHeader.Length == 0 || System.Text.RegularExpressions.Regex.IsMatch(rate.VaryByHeader, "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$"), "RateLimitSettings.VaryByHeader", $"'{rate.VaryByHeader}' is not a header name");
        Require(rate.LoginAndSignUpPerMinute is >= 1 and <= 6_000_000, "RateLimitSettings.LoginAndSignUpPerMinute", "must be between 1 and 6000000");
        Require(rate.LoginAndSignUpMaxBurst is >= 0 and <= 1_000_000, "RateLimitSettings.LoginAndSignUpMaxBurst", "must be between 0 and 1000000");
        JobAndDataSettingsValidator.Validate(config);
    }

    /// <summary>Services that need the database call this on top of <see cref="Validate"/>.</summary>
    public static void RequireDatabase(ChatConfig config)
    {
        Require(!string.IsNullOrWhiteSpace(config.SqlSettings.DataSource), "SqlSettings.DataSource", "must be set (config.json or MM_SQLSETTINGS_DATASOURCE)");
        try
        {
            _ = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = config.SqlSettings.DataSource };
        }
        catch (ArgumentException)
        {
            throw new ConfigException("SqlSettings.DataSource: is not a connection string (Host=...;Port=...;Username=...;Database=...)");
        }
    }

    private static void Require(bool condition, string setting, string problem)
    {
        if (!condition)
        {
            throw new ConfigException($"{setting}: {problem}");
        }
    }
}
