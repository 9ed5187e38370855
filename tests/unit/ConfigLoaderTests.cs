using Chat.Configuration;

namespace Chat.UnitTests;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("chat-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ChatConfig Load(string? path = null, params (string Name, string Value)[] environment) =>
        ConfigLoader.Load(path, environment.ToDictionary(e => e.Name, e => (string?)e.Value));

    private string File(string json)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Defaults_apply_without_file_or_environment()
    {
        var config = Load();
        Assert.Equal(":8065", config.ServiceSettings.ListenAddress);
        Assert.Equal(50, config.SqlSettings.MaxOpenConns);
        Assert.True(config.TeamSettings.EnableOpenServer);
        Assert.Empty(config.SqlSettings.DataSourceReplicas);
    }

    [Fact]
    public void The_file_overrides_defaults_and_the_environment_overrides_the_file()
    {
        var path = File("""
            {
              // Mattermost config.json files may carry comments, trailing commas and sections we do not know.
              "ServiceSettings": { "ListenAddress": ":9000", "SiteURL": "https://chat.example.com", },
              "sqlsettings": { "maxopenconns": 30, "MaxIdleConns": 5, "DataSource": "Host=file" },
              "PluginSettings": { "Enable": true },
              "TeamSettings": { "NoSuchSetting": 1 },
            }
            """);
        var config = Load(path, ("MM_SQLSETTINGS_MAXOPENCONNS", "40"), ("MM_SERVICESETTINGS_LISTENADDRESS", "127.0.0.1:8101"));
        Assert.Equal("127.0.0.1:8101", config.ServiceSettings.ListenAddress);
        Assert.Equal("https://chat.example.com", config.ServiceSettings.SiteURL);
        Assert.Equal(40, config.SqlSettings.MaxOpenConns);
        Assert.Equal(5, config.SqlSettings.MaxIdleConns);
        Assert.Equal("Host=file", config.SqlSettings.DataSource);
    }

    [Fact]
    public void Environment_overrides_parse_booleans_numbers_lists_and_strings()
    {
        var config = Load(null,
            ("MM_TEAMSETTINGS_ENABLEOPENSERVER", "false"),
            ("MM_PRIVACYSETTINGS_SHOWEMAILADDRESS", "False"),
            ("MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES", "4096"),
            ("MM_SQLSETTINGS_DATASOURCEREPLICAS", "Host=r1  Host=r2"),
            ("MM_SQLSETTINGS_DATASOURCESEARCHREPLICAS", """["Host=s1;Port=5", "Host=s2"]"""),
            ("MM_CLUSTERSETTINGS_OVERRIDEHOSTNAME", "api-1"));
        Assert.False(config.TeamSettings.EnableOpenServer);
        Assert.False(config.PrivacySettings.ShowEmailAddress);
        Assert.Equal(4096, config.ServiceSettings.MaximumPayloadSizeBytes);
        Assert.Equal(["Host=r1", "Host=r2"], config.SqlSettings.DataSourceReplicas);
        Assert.Equal(["Host=s1;Port=5", "Host=s2"], config.SqlSettings.DataSourceSearchReplicas);
        Assert.Equal("api-1", config.ClusterSettings.OverrideHostname);
    }

    [Fact]
    public void Plugin_settings_are_a_JSON_object_of_objects_by_plugin_id()
    {
        var config = Load(File("""{ "PluginSettings": { "Plugins": { "digest": { "IntervalSeconds": 60 } } } }"""));
        Assert.Equal(60, config.PluginSettings.Plugins["digest"]["IntervalSeconds"].GetInt32());
        var overridden = Load(null, ("MM_PLUGINSETTINGS_PLUGINS", """{"probe": {"Greeting": "hi"}}"""));
        Assert.Equal("hi", overridden.PluginSettings.Plugins["probe"]["Greeting"].GetString());
        Assert.Empty(Load().PluginSettings.Plugins);
    }

    [Fact]
    public void Unrelated_and_unknown_variables_are_ignored()
    {
        var config = Load(null, ("PATH", "/bin"), ("MM_NOSUCHSECTION_X", "1"), ("MM_SQLSETTINGS_NOSUCH", "1"), ("MM_SQLSETTINGS", "1"), ("MM_CONFIG", "/ignored.json"));
        Assert.Equal(50, config.SqlSettings.MaxOpenConns);
    }

    [Theory]
    [InlineData("MM_TEAMSETTINGS_ENABLEOPENSERVER", "maybe", "TeamSettings.EnableOpenServer")]
    [InlineData("MM_TEAMSETTINGS_ENABLEOPENSERVER", "1", "TeamSettings.EnableOpenServer")]
    [InlineData("MM_SQLSETTINGS_MAXOPENCONNS", "many", "SqlSettings.MaxOpenConns")]
    [InlineData("MM_SQLSETTINGS_MAXOPENCONNS", "1.5", "SqlSettings.MaxOpenConns")]
    [InlineData("MM_SQLSETTINGS_MAXOPENCONNS", "", "SqlSettings.MaxOpenConns")]
    [InlineData("MM_SQLSETTINGS_MAXOPENCONNS", "99999999999", "SqlSettings.MaxOpenConns")]
    [InlineData("MM_SQLSETTINGS_MAXOPENCONNS", "0", "SqlSettings.MaxOpenConns")]
    [InlineData("MM_SQLSETTINGS_MAXIDLECONNS", "51", "SqlSettings.MaxIdleConns")]
    [InlineData("MM_SQLSETTINGS_QUERYTIMEOUT", "0", "SqlSettings.QueryTimeout")]
    [InlineData("MM_SQLSETTINGS_DATASOURCEREPLICAS", "[\"unterminated", "SqlSettings.DataSourceReplicas")]
    [InlineData("MM_SQLSETTINGS_DATASOURCEREPLICAS", "[1, 2]", "SqlSettings.DataSourceReplicas")]
    [InlineData("MM_SERVICESETTINGS_LISTENADDRESS", "8065", "ServiceSettings.ListenAddress")]
    [InlineData("MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES", "1023", "ServiceSettings.MaximumPayloadSizeBytes")]
    [InlineData("MM_SERVICESETTINGS_MAXPOSTSIZERUNES", "0", "ServiceSettings.MaxPostSizeRunes")]
    [InlineData("MM_SERVICESETTINGS_WEBSOCKETRESUMEWINDOWMINUTES", "0", "ServiceSettings.WebSocketResumeWindowMinutes")]
    [InlineData("MM_SERVICESETTINGS_WEBSOCKETRESUMEWINDOWMINUTES", "1441", "ServiceSettings.WebSocketResumeWindowMinutes")]
    [InlineData("MM_SERVICESETTINGS_USERSTATUSAWAYTIMEOUT", "0", "ServiceSettings.UserStatusAwayTimeout")]
    [InlineData("MM_SERVICESETTINGS_USERSTATUSAWAYTIMEOUT", "86401", "ServiceSettings.UserStatusAwayTimeout")]
    [InlineData("MM_SERVICESETTINGS_SESSIONIDLETIMEOUTINMINUTES", "4", "ServiceSettings.SessionIdleTimeoutInMinutes")]
    [InlineData("MM_SERVICESETTINGS_SESSIONIDLETIMEOUTINMINUTES", "-1", "ServiceSettings.SessionIdleTimeoutInMinutes")]
    [InlineData("MM_PASSWORDSETTINGS_MINIMUMLENGTH", "4", "PasswordSettings.MinimumLength")]
    [InlineData("MM_CLUSTERSETTINGS_CLUSTERNAME", " ", "ClusterSettings.ClusterName")]
    [InlineData("MM_PLUGINSETTINGS_PLUGINS", "[1]", "PluginSettings.Plugins")]
    [InlineData("MM_PLUGINSETTINGS_PLUGINS", "{\"unterminated", "PluginSettings.Plugins")]
    [InlineData("MM_PLUGINSETTINGS_HOOKTIMEOUTMILLISECONDS", "99", "PluginSettings.HookTimeoutMilliseconds")]
    public void A_bad_value_names_the_setting(string variable, string value, string setting)
    {
        var error = Assert.Throws<ConfigException>(() => Load(null, (variable, value)));
        Assert.StartsWith(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_value_in_the_file_names_the_setting()
    {
        var error = Assert.Throws<ConfigException>(() => Load(File("""{ "SqlSettings": { "MaxOpenConns": "many" } }""")));
        Assert.StartsWith("SqlSettings.MaxOpenConns", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1, 2]")]
    [InlineData("")]
    public void A_broken_file_names_the_file(string content)
    {
        var path = File(content);
        Assert.StartsWith(path, Assert.Throws<ConfigException>(() => Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_names_the_file()
    {
        var path = Path.Combine(_directory, "missing.json");
        Assert.StartsWith(path, Assert.Throws<ConfigException>(() => Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_database_is_required_only_where_asked_for()
    {
        var config = Load();
        Assert.StartsWith("SqlSettings.DataSource", Assert.Throws<ConfigException>(() => ConfigValidator.RequireDatabase(config)).Message, StringComparison.Ordinal);
        config.SqlSettings.DataSource = "postgres at db1";
        var error = Assert.Throws<ConfigException>(() => ConfigValidator.RequireDatabase(config));
        Assert.StartsWith("SqlSettings.DataSource", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("db1", error.Message, StringComparison.Ordinal);
        config.SqlSettings.DataSource = "Host=127.0.0.1;Port=5432;Username=chat;Password=secret;Database=chat";
        ConfigValidator.RequireDatabase(config);
    }

    [Fact]
    public void The_hash_covers_every_section_but_cluster_settings()
    {
        var baseline = ConfigLoader.Hash(Load());
        Assert.Matches("^[0-9a-f]{32}$", baseline);
        Assert.Equal(baseline, ConfigLoader.Hash(Load()));
        Assert.Equal(baseline, ConfigLoader.Hash(Load(null, ("MM_CLUSTERSETTINGS_OVERRIDEHOSTNAME", "api-2"), ("MM_CLUSTERSETTINGS_CLUSTERNAME", "other"))));
        Assert.Equal(baseline, ConfigLoader.Hash(Load(null, ("MM_PLUGINSETTINGS_DIRECTORY", "/srv/api-2/plugins"), ("MM_PLUGINSETTINGS_CLIENTDIRECTORY", "/srv/api-2/client"))));
        Assert.NotEqual(baseline, ConfigLoader.Hash(Load(null, ("MM_TEAMSETTINGS_ENABLEOPENSERVER", "false"))));
        Assert.NotEqual(baseline, ConfigLoader.Hash(Load(null, ("MM_SQLSETTINGS_MAXOPENCONNS", "49"))));
    }

    [Fact]
    public void The_public_hash_does_not_depend_on_secrets_and_the_cluster_hash_does()
    {
        var one = Load(null, ("MM_SQLSETTINGS_DATASOURCE", "Host=db;Password=hunter2"));
        var other = Load(null, ("MM_SQLSETTINGS_DATASOURCE", "Host=db;Password=correct-horse"));
        Assert.Equal(ConfigLoader.PublicHash(one), ConfigLoader.PublicHash(other));
        Assert.NotEqual(ConfigLoader.Hash(one), ConfigLoader.Hash(other));
        Assert.NotEqual(ConfigLoader.PublicHash(one), ConfigLoader.PublicHash(Load(null, ("MM_SQLSETTINGS_DATASOURCE", "Host=db;Password=hunter2"), ("MM_SQLSETTINGS_MAXOPENCONNS", "49"))));
    }
}
