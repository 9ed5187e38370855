using Chat.Configuration;
using Chat.RateLimiting;

namespace Chat.UnitTests;

public sealed class RateLimitsTests
{
    private static ChatConfig Load(params (string Name, string Value)[] environment) =>
        ConfigLoader.Load(null, environment.ToDictionary(e => e.Name, e => (string?)e.Value));

    [Fact]
    public void RateLimitSettings_default_to_Mattermosts()
    {
        var settings = Load().RateLimitSettings;
        Assert.False(settings.Enable);
        Assert.Equal(10, settings.PerSec);
        Assert.Equal(100, settings.MaxBurst);
        Assert.Equal(10_000, settings.MemoryStoreSize);
        Assert.True(settings.VaryByRemoteAddr);
        Assert.False(settings.VaryByUser);
        Assert.Equal("", settings.VaryByHeader);
    }

    [Fact]
    public void The_settings_are_read_from_the_environment()
    {
        var config = Load(
            ("MM_RATELIMITSETTINGS_ENABLE", "true"), ("MM_RATELIMITSETTINGS_PERSEC", "3"), ("MM_RATELIMITSETTINGS_VARYBYHEADER", "X-Api-Key"),
            ("MM_SERVICESETTINGS_TRUSTEDPROXIES", "10.0.0.0/8 192.168.1.7 fd00::/8"), ("MM_SERVICESETTINGS_MAXIMUMWEBSOCKETCONNECTIONSPERUSER", "4"));
        Assert.True(config.RateLimitSettings.Enable);
        Assert.Equal(3, config.RateLimitSettings.PerSec);
        Assert.Equal("X-Api-Key", config.RateLimitSettings.VaryByHeader);
        Assert.Equal(4, config.ServiceSettings.MaximumWebSocketConnectionsPerUser);
        Assert.True(TrustedNetworks.TryParse(config.ServiceSettings.TrustedProxies, out var networks));
        Assert.Equal(3, networks.Count);
        Assert.Contains(networks, n => n.Contains(System.Net.IPAddress.Parse("192.168.1.7")));
    }

    [Theory]
    [InlineData("MM_RATELIMITSETTINGS_PERSEC", "0", "RateLimitSettings.PerSec")]
    [InlineData("MM_RATELIMITSETTINGS_MAXBURST", "-1", "RateLimitSettings.MaxBurst")]
    [InlineData("MM_RATELIMITSETTINGS_MEMORYSTORESIZE", "0", "RateLimitSettings.MemoryStoreSize")]
    [InlineData("MM_RATELIMITSETTINGS_VARYBYHEADER", "X Api Key", "RateLimitSettings.VaryByHeader")]
    [InlineData("MM_RATELIMITSETTINGS_VARYBYHEADER", "X-Key:", "RateLimitSettings.VaryByHeader")]
    [InlineData("MM_RATELIMITSETTINGS_LOGINANDSIGNUPPERMINUTE", "0", "RateLimitSettings.LoginAndSignUpPerMinute")]
    [InlineData("MM_RATELIMITSETTINGS_LOGINANDSIGNUPMAXBURST", "-1", "RateLimitSettings.LoginAndSignUpMaxBurst")]
    [InlineData("MM_SERVICESETTINGS_TRUSTEDPROXIES", "10.0.0.0/33", "ServiceSettings.TrustedProxies")]
    [InlineData("MM_SERVICESETTINGS_TRUSTEDPROXIES", "proxy.example", "ServiceSettings.TrustedProxies")]
    [InlineData("MM_SERVICESETTINGS_MAXIMUMWEBSOCKETCONNECTIONSPERUSER", "0", "ServiceSettings.MaximumWebSocketConnectionsPerUser")]
    [InlineData("MM_SERVICESETTINGS_MAXIMUMUNAUTHENTICATEDWEBSOCKETCONNECTIONSPERADDRESS", "0", "ServiceSettings.MaximumUnauthenticatedWebSocketConnectionsPerAddress")]
    public void A_bad_limit_names_the_setting(string variable, string value, string setting)
    {
        var error = Assert.Throws<ConfigException>(() => Load((variable, value)));
        Assert.StartsWith(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rate_limits_and_trusted_proxies_need_a_restart_while_the_socket_caps_apply_live()
    {
        var running = Load();
        var change = new LiveConfig(running).Apply(Load(
            ("MM_RATELIMITSETTINGS_PERSEC", "5"), ("MM_SERVICESETTINGS_TRUSTEDPROXIES", "10.0.0.1"), ("MM_SERVICESETTINGS_MAXIMUMWEBSOCKETCONNECTIONSPERUSER", "7")));
        Assert.Equal(["RateLimitSettings.PerSec", "ServiceSettings.TrustedProxies"], change.RequiresRestart.Order());
        Assert.Equal(["ServiceSettings.MaximumWebSocketConnectionsPerUser"], change.Applied);
        Assert.Equal(10, running.RateLimitSettings.PerSec);
        Assert.Equal(7, running.ServiceSettings.MaximumWebSocketConnectionsPerUser);
    }

    [Fact]
    public void A_fresh_key_may_burst_then_gets_one_request_per_interval()
    {
        var now = 0L;
        var limiter = new RateLimiter(new RateQuota(10, TimeSpan.FromSeconds(1), 4), 100, () => now);
        var burst = Enumerable.Range(0, 5).Select(_ => limiter.Take("a")).ToList();
        Assert.All(burst, d => Assert.True(d.Allowed));
        Assert.Equal([4, 3, 2, 1, 0], burst.Select(d => d.Remaining));
        Assert.All(burst, d => Assert.Equal(5, d.Limit));

        var refused = limiter.Take("a");
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMilliseconds(100), refused.RetryAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(500), refused.ResetAfter);
        // Another key has its own quota.
        Assert.True(limiter.Take("b").Allowed);

        now += TimeSpan.FromMilliseconds(100).Ticks;
        Assert.True(limiter.Take("a").Allowed);
        Assert.False(limiter.Take("a").Allowed);
        // After a quiet while the whole burst is back, and no more.
        now += TimeSpan.FromSeconds(10).Ticks;
        Assert.Equal(4, limiter.Take("a").Remaining);
    }

    [Fact]
    public void The_store_forgets_the_least_recently_seen_key_beyond_its_size()
    {
        var limiter = new RateLimiter(new RateQuota(1, TimeSpan.FromHours(1), 0), 2, () => 0);
        Assert.True(limiter.Take("a").Allowed);
        Assert.True(limiter.Take("b").Allowed);
        Assert.False(limiter.Take("a").Allowed); // a is now the most recent
        Assert.True(limiter.Take("c").Allowed); // b is forgotten
        Assert.Equal(2, limiter.Count);
        Assert.False(limiter.Take("a").Allowed);
        Assert.True(limiter.Take("b").Allowed); // starts afresh
    }
}
