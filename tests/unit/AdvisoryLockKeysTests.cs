using System.Reflection;
using Chat.SchemaMigrations;

namespace Chat.UnitTests;

/// <summary>The cluster's advisory-lock keys: distinct, and never changed (nodes of two versions share a cluster).</summary>
public sealed class AdvisoryLockKeysTests
{
    private static readonly Dictionary<string, long> Keys = typeof(AdvisoryLockKeys)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(long))
        .ToDictionary(f => f.Name, f => (long)f.GetRawConstantValue()!);

    [Fact]
    public void No_two_uses_share_a_key()
    {
        var shared = Keys.GroupBy(k => k.Value).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g.Select(k => k.Key)));
        Assert.Empty(shared);
    }

    [Fact]
    public void The_keys_keep_the_values_that_running_nodes_take()
    {
        // Earlier releases took these values; a rolling upgrade runs both side by side. A new key is added here too.
        Assert.Equal(new Dictionary<string, long>
        {
            [nameof(AdvisoryLockKeys.SchemaMigrations)] = 0x43_68_61_74_4D_69_67,
            [nameof(AdvisoryLockKeys.BuildingBlocksMigrations)] = 0x43_68_61_74_42_42_4D,
            [nameof(AdvisoryLockKeys.JobsMigrations)] = 0x43_68_61_74_4A_6F_62,
            [nameof(AdvisoryLockKeys.RealtimeMigrations)] = 0x43_68_61_74_52_54_4D,
            [nameof(AdvisoryLockKeys.PluginMigrations)] = 0x43_68_61_74_50_6C_67,
            [nameof(AdvisoryLockKeys.ClusterMembershipMigrations)] = 0x43_68_61_74_43_6C_75,
            [nameof(AdvisoryLockKeys.JobClaim)] = 0x43_68_61_74_43_6C_6D,
            [nameof(AdvisoryLockKeys.PluginChanges)] = 0x43_68_61_74_50_6C_43,
            [nameof(AdvisoryLockKeys.EventLogPruning)] = 0x43_68_61_74_50_72_75,
            [nameof(AdvisoryLockKeys.ExpiredRowPruning)] = 0x43_68_61_74_45_78_70,
            [nameof(AdvisoryLockKeys.DaprEventRelay)] = 0x43_68_61_74_52_6C_79,
        }, Keys);
        Assert.Equal(0x43424557, AdvisoryLockKeys.EventPublishingTransactions);
    }
}
