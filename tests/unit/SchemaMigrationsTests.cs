using Chat.Api;
using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.Configuration;
using Chat.Jobs;
using Chat.Realtime;
using Chat.SchemaMigrations;
using Chat.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.UnitTests;

/// <summary>What the libraries register for the one migration runner.</summary>
public sealed class SchemaMigrationsTests
{
    [Fact]
    public void Each_library_registers_its_set_once_in_order_under_the_table_and_lock_earlier_releases_used()
    {
        var config = new ChatConfig();
        config.SqlSettings.DataSource = "Host=127.0.0.1;Database=unused";
        var services = new ServiceCollection();
        services.AddStore(config, "chat-test");
        services.AddClusterMembership();
        services.AddBuildingBlocks(config);
        services.AddApiV4();
        services.AddRealtime(config);
        services.AddJobs(config);

        var sets = services.BuildServiceProvider().GetServices<MigrationSet>().Select(s => (s.Table, s.LockKey)).ToList();

        // Databases record applied versions under these tables; renaming one would apply its set again.
        Assert.Equal<(string, long?)>(
        [
            ("schema_migrations", null),
            ("cluster_membership_migrations", AdvisoryLockKeys.ClusterMembershipMigrations),
            ("building_block_migrations", AdvisoryLockKeys.BuildingBlocksMigrations),
            ("jobs_migrations", AdvisoryLockKeys.JobsMigrations),
            ("plugin_migrations", AdvisoryLockKeys.PluginMigrations),
            ("realtime_migrations", AdvisoryLockKeys.RealtimeMigrations),
        ], sets);
    }

    [Fact]
    public void A_set_lists_its_embedded_migrations_in_version_order()
    {
        var set = MigrationSet.FromAssembly(typeof(StoreServiceCollectionExtensions).Assembly, SchemaMigrator.SchemaVersionTable);
        Assert.Equal([1, 2, 3, 4], set.Migrations.Select(m => m.Version).Take(4));
        Assert.Equal("core", set.Migrations[0].Name);
        Assert.Contains("CREATE TABLE", set.Migrations[0].Sql, StringComparison.OrdinalIgnoreCase);
    }
}
