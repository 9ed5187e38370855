using Chat.ClusterMembership;
using Chat.Configuration;
using Chat.ServiceDefaults;

namespace Chat.UnitTests;

/// <summary>Node ids, version skew arithmetic and how cluster status judges each node.</summary>
public sealed class ClusterMembershipTests
{
    [Fact]
    public void Node_ids_are_26_sortable_characters_that_order_nodes_by_start()
    {
        var config = new ChatConfig();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(new NodeInfo("api", config).NodeId);
            // UUIDv7 orders by millisecond; within one, by random bits.
            Thread.Sleep(2);
        }
        Assert.All(ids, id => Assert.Matches("^[0-9a-v]{26}$", id));
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(5, ids.Distinct().Count());
    }

    [Fact]
    public void Hostname_is_the_override_else_the_ip_address_or_the_machine_name()
    {
        var config = new ChatConfig();
        config.ServiceSettings.ListenAddress = "127.0.0.1:8101";
        Assert.Equal("127.0.0.1", new NodeInfo("api", config).Hostname);
        Assert.Equal("127.0.0.1", new NodeInfo("api", config).IpAddress);
        Assert.Equal(8101, new NodeInfo("api", config).Port);
        config.ClusterSettings.UseIpAddress = false;
        Assert.Equal(System.Net.Dns.GetHostName(), new NodeInfo("api", config).Hostname);
        config.ClusterSettings.OverrideHostname = "api-1";
        Assert.Equal("api-1", new NodeInfo("api", config).Hostname);
    }

    [Theory]
    [InlineData("0.1.0", "0.0.0")]
    [InlineData("0.2.5", "0.1.0")]
    [InlineData("1.0.0", "1.0.0")]
    [InlineData("2.7.1-beta", "2.6.0")]
    public void A_version_supports_nodes_back_to_the_previous_minor(string version, string oldest)
    {
        Assert.True(ProductVersion.TryParse(version, out var parsed));
        Assert.Equal(oldest, parsed.OldestCompatible.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2")]
    [InlineData("1.2.x")]
    [InlineData("v1.2.3")]
    public void Versions_that_are_not_major_minor_patch_are_rejected(string text) => Assert.False(ProductVersion.TryParse(text, out _));

    [Fact]
    public void Versions_compare_numerically()
    {
        Assert.True(Parse("0.10.0") > Parse("0.9.9"));
        Assert.True(Parse("1.0.0") > Parse("0.99.99"));
        Assert.True(Parse("0.1.0-rc1").CompareTo(Parse("0.1.0")) == 0);
    }

    [Fact]
    public void A_node_that_stopped_heartbeating_is_down_whatever_else_it_reports()
    {
        var status = NodeStatus.Evaluate([Node("a"), Node("b"), Node("c", alive: false, version: "9.9.9")]);
        Assert.Equal(NodeStatus.Ok, status["a"]);
        Assert.Equal(NodeStatus.Ok, status["b"]);
        Assert.Equal(NodeStatus.Down, status["c"]);
    }

    [Fact]
    public void Live_nodes_are_compared_with_the_majority_and_a_version_difference_wins()
    {
        var status = NodeStatus.Evaluate([Node("a"), Node("b"), Node("c", config: "other"), Node("d", version: "0.2.0", config: "other")]);
        Assert.Equal(NodeStatus.Ok, status["a"]);
        Assert.Equal(NodeStatus.Ok, status["b"]);
        Assert.Equal(NodeStatus.ConfigMismatch, status["c"]);
        Assert.Equal(NodeStatus.VersionMismatch, status["d"]);
    }

    [Fact]
    public void Ties_go_to_the_newest_version_and_to_the_oldest_nodes_configuration()
    {
        var status = NodeStatus.Evaluate([Node("a", version: "0.1.0", config: "x"), Node("b", version: "0.2.0", config: "y")]);
        Assert.Equal(NodeStatus.VersionMismatch, status["a"]);
        Assert.Equal(NodeStatus.ConfigMismatch, status["b"]);
    }

    [Fact]
    public void Dead_nodes_do_not_vote()
    {
        var status = NodeStatus.Evaluate([Node("a", config: "new"), Node("b", alive: false), Node("c", alive: false)]);
        Assert.Equal(NodeStatus.Ok, status["a"]);
    }

    private static ProductVersion Parse(string text) => ProductVersion.TryParse(text, out var v) ? v : throw new FormatException(text);

    private static ClusterNode Node(string id, bool alive = true, string version = "0.1.0", string config = "same") => new()
    {
        Id = id,
        Service = "api",
        ClusterName = "chat",
        Hostname = id,
        IpAddress = "127.0.0.1",
        Version = version,
        ConfigHash = config,
        Alive = alive,
    };
}
