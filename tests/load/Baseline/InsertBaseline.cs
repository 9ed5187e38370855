using Chat.Load.Measurement;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Load.Baseline;

/// <summary>
/// The physical limit for durable posts on this server: single-row INSERTs, each its own transaction (so each
/// waits for its WAL flush), from as many connections as the scenario has clients, into a scratch table.
/// </summary>
public static class InsertBaseline
{
    private const string Table = "bench_baseline";

    public static async Task<LoadResult> RunAsync(string connectionString, int clients, TimeSpan warmup, TimeSpan duration)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "chat-load-baseline" };
        builder.MaxPoolSize = Math.Max(builder.MaxPoolSize, clients + 1);
        await using var source = NpgsqlDataSource.Create(builder);
        // A run that died before its clean-up leaves the table behind; start from an empty one either way.
        await source.CreateCommand($"""
            DROP TABLE IF EXISTS {Table};
            CREATE TABLE {Table} (id bigserial PRIMARY KEY, channel_id text NOT NULL, message text NOT NULL, create_at bigint NOT NULL)
            """).ExecuteNonQueryAsync();
        var connections = new List<NpgsqlConnection>();
        try
        {
            var inserts = new NpgsqlCommand[clients];
            for (var i = 0; i < clients; i++)
            {
                var connection = await source.OpenConnectionAsync();
                connections.Add(connection);
                var insert = new NpgsqlCommand($"INSERT INTO {Table} (channel_id, message, create_at) VALUES ($1, $2, $3)", connection);
                insert.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = $"baseline-{i:d3}" });
                insert.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint });
                await insert.PrepareAsync();
                inserts[i] = insert;
            }
            var sequence = new long[clients];
            return await ClosedLoop.RunAsync(clients, warmup, duration, async client =>
            {
                var insert = inserts[client];
                ((NpgsqlParameter<string>)insert.Parameters[1]).TypedValue = $"baseline insert {++sequence[client]} from client {client}";
                ((NpgsqlParameter<long>)insert.Parameters[2]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                return await insert.ExecuteNonQueryAsync() == 1 ? null : "insert affected no row";
            });
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
            await source.CreateCommand($"DROP TABLE IF EXISTS {Table}").ExecuteNonQueryAsync();
        }
    }
}
