using System.Globalization;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>
/// One private PostgreSQL and, on one database, two api nodes as the local cluster runs them, plus a third
/// "restricted" node (closed sign-up, 4 KiB payload limit, 1 MiB files) for admin-only and oversized-body checks.
/// The first user signed up is the system admin. Tests share the nodes and create their own users and teams;
/// tests that need nodes of their own build a cluster on a database of its own on <see cref="TestClusterFixture.Postgres"/>.
/// </summary>
public sealed class ClusterFixture : TestClusterFixture
{
    public const string RestrictedNode = "api-restricted";
    public const int RestrictedPayloadLimit = 4096;
    public const int RestrictedMaxFileSize = 1 << 20;

    public ServiceProcess Restricted => Cluster.Node(RestrictedNode);

    /// <summary>The restricted node, for other fixtures whose tests need it too.</summary>
    public static TestClusterBuilder WithRestrictedNode(TestClusterBuilder builder) => builder
        .WithNode("api", RestrictedNode, new Dictionary<string, string>
        {
            ["MM_TEAMSETTINGS_ENABLEOPENSERVER"] = "false",
            ["MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES"] = RestrictedPayloadLimit.ToString(CultureInfo.InvariantCulture),
            ["MM_FILESETTINGS_MAXFILESIZE"] = RestrictedMaxFileSize.ToString(CultureInfo.InvariantCulture),
        });

    protected override TestClusterBuilder Build() => WithRestrictedNode(TestCluster.Create("chat").WithApi(2));
}
