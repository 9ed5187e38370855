using Chat.Configuration;

namespace Chat.BuildingBlocks.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_select_the_embedded_provider()
    {
        var config = ConfigLoader.Load(null, new Dictionary<string, string?>());
        var options = BuildingBlocksOptions.FromConfig(config, new Dictionary<string, string?>());
        Assert.Equal(BuildingBlockProvider.Embedded, options.Provider);
        Assert.Equal("pubsub", options.PubSubName);
        Assert.Equal("statestore", options.StateStoreName);
        Assert.Equal("lockstore", options.LockStoreName);
        Assert.Equal(TimeSpan.FromDays(1), options.Embedded.Retention);
        Assert.Equal(new Uri("http://127.0.0.1:3500"), options.Dapr.HttpEndpoint);
        Assert.Null(options.Dapr.ApiToken);
        Assert.Null(options.Dapr.AppApiToken);
    }

    [Fact]
    public void Settings_come_from_MM_variables_and_the_sidecar_from_Dapr_variables()
    {
        var environment = new Dictionary<string, string?>
        {
            ["MM_DAPRSETTINGS_PROVIDER"] = "dapr",
            ["MM_DAPRSETTINGS_PUBSUBNAME"] = "cluster-pubsub",
            ["MM_DAPRSETTINGS_EVENTRETENTIONMINUTES"] = "30",
            ["MM_DAPRSETTINGS_STATESTORENAME"] = "kv",
            ["MM_DAPRSETTINGS_LOCKSTORENAME"] = "locks",
            ["DAPR_HTTP_PORT"] = "3511",
            ["DAPR_API_TOKEN"] = "to-sidecar",
            ["APP_API_TOKEN"] = "from-sidecar",
            ["APP_ID"] = "realtime",
        };
        var options = BuildingBlocksOptions.FromConfig(ConfigLoader.Load(null, environment), environment);
        Assert.Equal(BuildingBlockProvider.Dapr, options.Provider);
        Assert.Equal("cluster-pubsub", options.PubSubName);
        Assert.Equal("kv", options.StateStoreName);
        Assert.Equal("locks", options.LockStoreName);
        Assert.Equal(TimeSpan.FromMinutes(30), options.Embedded.Retention);
        Assert.Equal(new Uri("http://127.0.0.1:3511"), options.Dapr.HttpEndpoint);
        Assert.Equal("to-sidecar", options.Dapr.ApiToken);
        Assert.Equal("from-sidecar", options.Dapr.AppApiToken);
        Assert.Equal("realtime", options.Dapr.AppId);

        environment["DAPR_HTTP_ENDPOINT"] = "http://sidecar.local:3600";
        Assert.Equal(new Uri("http://sidecar.local:3600"), BuildingBlocksOptions.FromConfig(ConfigLoader.Load(null, environment), environment).Dapr.HttpEndpoint);
    }

    [Theory]
    [InlineData("MM_DAPRSETTINGS_PROVIDER", "kafka", "DaprSettings.Provider")]
    [InlineData("MM_DAPRSETTINGS_PUBSUBNAME", " ", "DaprSettings.PubSubName")]
    [InlineData("MM_DAPRSETTINGS_STATESTORENAME", " ", "DaprSettings.StateStoreName")]
    [InlineData("MM_DAPRSETTINGS_LOCKSTORENAME", "", "DaprSettings.LockStoreName")]
    [InlineData("MM_DAPRSETTINGS_EVENTRETENTIONMINUTES", "0", "DaprSettings.EventRetentionMinutes")]
    public void Invalid_settings_are_rejected_naming_the_setting(string variable, string value, string setting)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, new Dictionary<string, string?> { [variable] = value }));
        Assert.StartsWith(setting, e.Message);
    }

    [Theory]
    [InlineData("DAPR_HTTP_PORT", "http")]
    [InlineData("DAPR_HTTP_PORT", "70000")]
    [InlineData("DAPR_HTTP_ENDPOINT", "not a url")]
    public void A_bad_sidecar_address_is_rejected(string variable, string value)
    {
        var environment = new Dictionary<string, string?> { [variable] = value };
        var e = Assert.Throws<ConfigException>(() => BuildingBlocksOptions.FromConfig(new ChatConfig(), environment));
        Assert.StartsWith(variable, e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/topic")]
    public void Topic_names_are_restricted_to_a_safe_alphabet(string topic)
    {
        Assert.Throws<ArgumentException>(() => PubSub.ClusterEvent.Create(topic, "t", new { }));
    }
}
