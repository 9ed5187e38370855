using Chat.SchemaMigrations;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Chat.BuildingBlocks.PubSub.Embedded;

/// <summary>
/// Appends to cluster_events, the durable log that the embedded provider's readers follow and that is the
/// transactional outbox in both providers.
/// </summary>
internal sealed class EventLog(NpgsqlDataSource dataSource, EmbeddedPubSubOptions options, ILogger logger)
{
    // Multi-row insert in the given order; ids already in the log are skipped, which makes publishing idempotent.
    private const string InsertSql = """
        INSERT INTO cluster_events (id, topic, type, data, traceparent, expires_at)
        SELECT e.id, e.topic, e.type, e.data::jsonb, e.traceparent, now() + e.ttl_ms * interval '1 millisecond'
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
             WITH ORDINALITY AS e(id, topic, type, data, traceparent, ttl_ms, n)
        ORDER BY e.n
        ON CONFLICT (id) DO NOTHING
        """;

    public WakeUpNotifier Notifier { get; } = new(dataSource, options.NotifyMinInterval, logger);

    /// <summary>Appends in a transaction of its own, committed when this returns.</summary>
    public async Task AppendAsync(IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }
        await using (var command = dataSource.CreateCommand(InsertSql))
        {
            AddEventParameters(command.Parameters, events);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        Notifier.Ring(events.Select(e => e.Topic));
    }

    /// <summary>Appends in the caller's transaction; readers are woken when it ends.</summary>
    public async Task AppendAsync(NpgsqlTransaction transaction, IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has already ended.");
        if (events.Count == 0)
        {
            return;
        }
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                // Held until the transaction ends, so the notifier can wait for exactly that (see WakeUpNotifier).
                new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({AdvisoryLockKeys.EventPublishingTransactions}, {WakeUpNotifier.TransactionKeySql}), pg_current_xact_id()::text::bigint"),
                new NpgsqlBatchCommand(InsertSql),
            },
        };
        AddEventParameters(batch.BatchCommands[1].Parameters, events);
        long txid;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            txid = reader.GetInt64(1);
        }
        Notifier.RingWhenEnded(txid, events.Select(e => e.Topic));
    }

    private static void AddEventParameters(NpgsqlParameterCollection parameters, IReadOnlyList<ClusterEvent> events)
    {
        var ids = new string[events.Count];
        var topics = new string[events.Count];
        var types = new string[events.Count];
        var data = new string[events.Count];
        var traceParents = new string?[events.Count];
        var ttls = new long?[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            ids[i] = e.Id;
            topics[i] = e.Topic;
            types[i] = e.Type;
            data[i] = e.Data.ValueKind == System.Text.Json.JsonValueKind.Undefined ? "null" : e.Data.GetRawText();
            traceParents[i] = e.TraceParent;
            ttls[i] = e.TimeToLive is { } ttl ? (long)Math.Ceiling(ttl.TotalMilliseconds) : null;
        }
        parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = topics, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = traceParents, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = ttls, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
    }
}
