using Npgsql;

namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class RealtimeCollection : ICollectionFixture<RealtimeFixture>
{
    public const string Name = "realtime";
}

/// <summary>
/// One private PostgreSQL and, on one database, two api nodes and two realtime nodes, as the local cluster runs
/// them. Tests create their own users, teams and channels; a test that kills a realtime node starts it again.
/// Its HttpClient does not check <see cref="ResponseContract"/>.
/// </summary>
public sealed class RealtimeFixture : TestClusterFixture
{
    public ServiceProcess Realtime1 => Cluster.Realtime[0];

    public ServiceProcess Realtime2 => Cluster.Realtime[1];

    protected override TestClusterBuilder Build() => TestCluster.Create("realtime").WithApi(2).WithRealtime(2).WithoutResponseContract();

    /// <summary>A realtime node that a test killed is started again (same port, same name).</summary>
    public Task EnsureRunningAsync(ServiceProcess node) => Cluster.EnsureRunningAsync(node);

    public Task<T> ScalarAsync<T>(string sql, params object[] parameters) => Cluster.ScalarAsync<T>(sql, parameters);

    /// <summary>
    /// Appends events to the log's websocket topic directly (in DESIGN.md's payload shape), as the api would, and
    /// rings the readers' doorbell: for floods no API call could produce quickly.
    /// </summary>
    public async Task AppendEventsAsync(IReadOnlyList<string> payloads)
    {
        await using var batch = Cluster.Database.CreateBatch();
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO cluster_events (id, topic, type, data)
            SELECT 'test-' || gen_random_uuid(), 'websocket', e.data::jsonb ->> 'event', e.data::jsonb
            FROM unnest($1::text[]) WITH ORDINALITY AS e (data, n) ORDER BY e.n
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = payloads.ToArray() });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify('cluster_events.websocket', '')"));
        await batch.ExecuteNonQueryAsync();
    }
}
