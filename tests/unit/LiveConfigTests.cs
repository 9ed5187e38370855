using Chat.Configuration;

namespace Chat.UnitTests;

/// <summary>The Mattermost sections added for operations, their overrides and checks, live reload rules and redaction.</summary>
public sealed class LiveConfigTests
{
    private static ChatConfig Load(params (string Name, string Value)[] environment) =>
        ConfigLoader.Load(null, environment.ToDictionary(e => e.Name, e => (string?)e.Value));

    [Fact]
    public void New_sections_have_Mattermost_defaults_and_take_environment_overrides()
    {
        var defaults = Load();
        Assert.True(defaults.JobSettings.RunJobs);
        Assert.True(defaults.JobSettings.RunScheduler);
        Assert.Equal("./plugins", defaults.PluginSettings.Directory);
        Assert.Equal(365, defaults.DataRetentionSettings.MessageRetentionDays);
        Assert.Equal("actiance", defaults.MessageExportSettings.ExportFormat);

        var config = Load(
            ("MM_JOBSETTINGS_RUNSCHEDULER", "false"),
            ("MM_PLUGINSETTINGS_CLIENTDIRECTORY", "/srv/client-plugins"),
            ("MM_DATARETENTIONSETTINGS_ENABLEMESSAGEDELETION", "true"),
            ("MM_DATARETENTIONSETTINGS_MESSAGERETENTIONHOURS", "48"),
            ("MM_DATARETENTIONSETTINGS_DELETIONJOBSTARTTIME", "03:30"),
            ("MM_MESSAGEEXPORTSETTINGS_EXPORTFORMAT", "csv"),
            ("MM_MESSAGEEXPORTSETTINGS_EXPORTFROMTIMESTAMP", "1700000000000"),
            ("MM_SQLSETTINGS_DATASOURCEREPLICAS", "Host=r1;Port=5441 Host=r2;Port=5442"),
            ("MM_SQLSETTINGS_DATASOURCESEARCHREPLICAS", """["Host=s1;Port=5443"]"""));
        Assert.False(config.JobSettings.RunScheduler);
        Assert.Equal("/srv/client-plugins", config.PluginSettings.ClientDirectory);
        Assert.True(config.DataRetentionSettings.EnableMessageDeletion);
        Assert.Equal(48, config.DataRetentionSettings.MessageRetentionHours);
        Assert.Equal("03:30", config.DataRetentionSettings.DeletionJobStartTime);
        Assert.Equal("csv", config.MessageExportSettings.ExportFormat);
        Assert.Equal(1_700_000_000_000, config.MessageExportSettings.ExportFromTimestamp);
        Assert.Equal(["Host=r1;Port=5441", "Host=r2;Port=5442"], config.SqlSettings.DataSourceReplicas);
        Assert.Equal(["Host=s1;Port=5443"], config.SqlSettings.DataSourceSearchReplicas);
    }

    [Theory]
    [InlineData("MM_DATARETENTIONSETTINGS_DELETIONJOBSTARTTIME", "25:00", "DataRetentionSettings.DeletionJobStartTime")]
    [InlineData("MM_DATARETENTIONSETTINGS_MESSAGERETENTIONDAYS", "0", "DataRetentionSettings.MessageRetentionDays")]
    [InlineData("MM_DATARETENTIONSETTINGS_BATCHSIZE", "0", "DataRetentionSettings.BatchSize")]
    [InlineData("MM_MESSAGEEXPORTSETTINGS_EXPORTFORMAT", "pdf", "MessageExportSettings.ExportFormat")]
    [InlineData("MM_MESSAGEEXPORTSETTINGS_DAILYRUNTIME", "1am", "MessageExportSettings.DailyRunTime")]
    [InlineData("MM_JOBSETTINGS_CLEANUPJOBSTHRESHOLDDAYS", "-2", "JobSettings.CleanupJobsThresholdDays")]
    [InlineData("MM_SEARCHINDEXINGSETTINGS_DAILYRUNTIME", "3", "SearchIndexingSettings.DailyRunTime")]
    [InlineData("MM_SEARCHINDEXINGSETTINGS_BATCHSIZE", "0", "SearchIndexingSettings.BatchSize")]
    [InlineData("MM_PLUGINSETTINGS_DIRECTORY", " ", "PluginSettings.Directory")]
    [InlineData("MM_SQLSETTINGS_DATASOURCEREPLICAS", """["no equals sign"]""", "SqlSettings.DataSourceReplicas[0]")]
    [InlineData("MM_SQLSETTINGS_READYOURWRITESMILLISECONDS", "-1", "SqlSettings.ReadYourWritesMilliseconds")]
    public void Invalid_values_name_the_setting(string variable, string value, string setting)
    {
        var e = Assert.Throws<ConfigException>(() => Load((variable, value)));
        Assert.StartsWith(setting + ":", e.Message);
    }

    [Fact]
    public void A_reload_swaps_live_settings_into_the_running_instance_and_reports_the_rest()
    {
        var running = Load(("MM_SQLSETTINGS_DATASOURCE", "Host=a;Port=5440"));
        var teams = running.TeamSettings;
        var live = new LiveConfig(running);
        ConfigChange? raised = null;
        live.Changed += c => raised = c;
        live.AddRestartCheck(next => next.SqlSettings.DataSource.Contains("Host=z", StringComparison.Ordinal) ? ["SqlSettings.DataSource"] : []);

        var change = live.Apply(Load(
            ("MM_SQLSETTINGS_DATASOURCE", "Host=z;Port=5440"),
            ("MM_TEAMSETTINGS_MAXUSERSPERTEAM", "7"),
            ("MM_PASSWORDSETTINGS_MINIMUMLENGTH", "12"),
            ("MM_SERVICESETTINGS_LISTENADDRESS", ":9999"),
            ("MM_CLUSTERSETTINGS_READONLYCONFIG", "false")));

        Assert.Same(running, live.Current);
        Assert.Equal(7, running.TeamSettings.MaxUsersPerTeam);
        Assert.Equal(12, running.PasswordSettings.MinimumLength);
        Assert.NotSame(teams, running.TeamSettings);
        // Bound at start-up, or refused by a component: unchanged, and said so.
        Assert.Equal(":8065", running.ServiceSettings.ListenAddress);
        Assert.True(running.ClusterSettings.ReadOnlyConfig);
        Assert.Equal("Host=a;Port=5440", running.SqlSettings.DataSource);
        Assert.Equal(["TeamSettings.MaxUsersPerTeam", "PasswordSettings.MinimumLength"], change.Applied.Order().Reverse());
        Assert.Equal(["ClusterSettings.ReadOnlyConfig", "ServiceSettings.ListenAddress", "SqlSettings.DataSource"], change.RequiresRestart.Order());
        Assert.Equal(change, raised);

        // Nothing new: nothing applied, nothing raised.
        raised = null;
        Assert.Empty(live.Apply(Load(("MM_TEAMSETTINGS_MAXUSERSPERTEAM", "7"), ("MM_PASSWORDSETTINGS_MINIMUMLENGTH", "12"), ("MM_SQLSETTINGS_DATASOURCE", "Host=a;Port=5440"))).Applied);
        Assert.Null(raised);
    }

    [Fact]
    public void Secrets_are_shown_as_the_placeholder_and_a_placeholder_sent_back_keeps_the_secret()
    {
        var config = Load(
            ("MM_SQLSETTINGS_DATASOURCE", "Host=db;Password=hunter2"),
            ("MM_SQLSETTINGS_DATASOURCEREPLICAS", "Host=r1;Password=x Host=r2;Password=y"));
        var redacted = ConfigRedaction.Redacted(config);
        var text = redacted.ToJsonString();
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("Password=x", text);
        Assert.Equal(ConfigRedaction.Placeholder, (string?)redacted["SqlSettings"]!["DataSource"]);
        Assert.Equal([ConfigRedaction.Placeholder, ConfigRedaction.Placeholder], redacted["SqlSettings"]!["DataSourceReplicas"]!.AsArray().Select(v => (string?)v));
        // Nothing else is hidden; an empty secret stays visibly empty.
        Assert.Equal(":8065", (string?)redacted["ServiceSettings"]!["ListenAddress"]);
        Assert.Equal("", (string?)ConfigRedaction.Redacted(Load())["SqlSettings"]!["DataSource"]);

        redacted["SqlSettings"]!["MaxOpenConns"] = 20;
        ConfigRedaction.Restore(redacted, config);
        Assert.Equal("Host=db;Password=hunter2", (string?)redacted["SqlSettings"]!["DataSource"]);
        Assert.Equal("Host=r2;Password=y", (string?)redacted["SqlSettings"]!["DataSourceReplicas"]![1]);
        Assert.Equal(20, (int?)redacted["SqlSettings"]!["MaxOpenConns"]);
    }

    [Fact]
    public void Secrets_in_a_plugins_own_settings_are_redacted_and_kept_when_sent_back()
    {
        var config = Load(("MM_PLUGINSETTINGS_PLUGINS", """{"com.example.hook":{"webhooksecret":"s3cr3t","BotToken":"t0k3n","channel":"town-square"}}"""));
        var redacted = ConfigRedaction.Redacted(config);
        var text = redacted.ToJsonString();
        Assert.DoesNotContain("s3cr3t", text);
        Assert.DoesNotContain("t0k3n", text);
        var plugin = redacted["PluginSettings"]!["Plugins"]!["com.example.hook"]!;
        Assert.Equal(ConfigRedaction.Placeholder, (string?)plugin["webhooksecret"]);
        Assert.Equal("town-square", (string?)plugin["channel"]);

        plugin["channel"] = "off-topic";
        ConfigRedaction.Restore(redacted, config);
        Assert.Equal("s3cr3t", (string?)redacted["PluginSettings"]!["Plugins"]!["com.example.hook"]!["webhooksecret"]);
        Assert.Equal("t0k3n", (string?)redacted["PluginSettings"]!["Plugins"]!["com.example.hook"]!["BotToken"]);
        Assert.Equal("off-topic", (string?)redacted["PluginSettings"]!["Plugins"]!["com.example.hook"]!["channel"]);
    }
}
