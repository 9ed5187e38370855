namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class StatusesCollection : ICollectionFixture<StatusesFixture>
{
    public const string Name = "statuses";
}

/// <summary>
/// Two api and two realtime nodes on one private PostgreSQL, with a short away timeout
/// (ServiceSettings.UserStatusAwayTimeout) so that idleness shows within a test. A test that kills a realtime node
/// leaves it to the next test to start it again.
/// </summary>
public sealed class StatusesFixture : TestClusterFixture
{
    public const int AwayTimeoutSeconds = 20;

    public ServiceProcess Realtime1 => Cluster.Realtime[0];

    public ServiceProcess Realtime2 => Cluster.Realtime[1];

    protected override TestClusterBuilder Build() =>
        TestCluster.Create("statuses").WithApi(2).WithRealtime(2).WithSetting("MM_SERVICESETTINGS_USERSTATUSAWAYTIMEOUT", AwayTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task EnsureRunningAsync(ServiceProcess node) => Cluster.EnsureRunningAsync(node);

    public Task<T> ScalarAsync<T>(string sql, params object[] parameters) => Cluster.ScalarAsync<T>(sql, parameters);
}
