using Chat.BuildingBlocks.PubSub;
using Chat.Realtime.Delivery;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Realtime.Checkpoints;

/// <summary>Where a connection stands: the first event after <see cref="Cursor"/> it gets has <see cref="Seq"/>.</summary>
internal sealed record Checkpoint(long Seq, EventCursor Cursor, Membership Membership);

/// <summary>What a node writes for one connection; <see cref="MembershipJson"/> is null when unchanged since its last write.</summary>
internal sealed record CheckpointWrite(string ConnectionId, long Generation, long Version, long Seq, EventCursor Cursor, string? MembershipJson, bool ResetFallback);

/// <summary>A connection taken over for resuming: its new generation, its checkpoint and the older fallback, if any.</summary>
internal sealed record ClaimedConnection(long Generation, Checkpoint Current, Checkpoint? Fallback);

/// <summary>The websocket_connections table (see Migrations/0001_websocket_connections.sql).</summary>
internal sealed class CheckpointStore(NpgsqlDataSource dataSource)
{
    /// <summary>The fallback checkpoint is replaced by the current one once it is this old, so it trails by 1 to 11 s.</summary>
    private const string FallbackAge = "10 seconds";

    public async Task InsertAsync(string connectionId, string userId, string sessionId, string node, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO websocket_connections (id, user_id, session_id, node, seq, cursor_txid, cursor_position, membership)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = connectionId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
        command.Parameters.Add(new NpgsqlParameter { Value = node });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Seq });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Cursor.Txid });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Cursor.Position });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Membership.ToJson() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Takes the connection over for this node, if it is the user's and was seen within the window: raises its
    /// generation, which fences off whichever node held it before (its later writes match nothing).
    /// </summary>
    public async Task<ClaimedConnection?> ClaimAsync(string connectionId, string userId, string sessionId, string node, TimeSpan window, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE websocket_connections
            SET generation = generation + 1, version = 0, node = $4, session_id = $3, last_seen = now()
            WHERE id = $1 AND user_id = $2 AND last_seen > now() - $5
            RETURNING generation, seq, cursor_txid, cursor_position, membership::text,
                      fallback_seq, fallback_cursor_txid, fallback_cursor_position, fallback_membership::text
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = connectionId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
        command.Parameters.Add(new NpgsqlParameter { Value = node });
        command.Parameters.Add(new NpgsqlParameter { Value = window, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var current = new Checkpoint(reader.GetInt64(1), new EventCursor(reader.GetInt64(2), reader.GetInt64(3)), Membership.FromJson(reader.GetString(4)));
        var fallback = reader.IsDBNull(5) ? null
            : new Checkpoint(reader.GetInt64(5), new EventCursor(reader.GetInt64(6), reader.GetInt64(7)), Membership.FromJson(reader.GetString(8)));
        return new ClaimedConnection(reader.GetInt64(0), current, fallback);
    }

    /// <summary>
    /// Writes checkpoints in one statement; a write older than the one stored (by version) is ignored. Returns the
    /// connections another node has taken over since (or that are gone): their holder here must let them go.
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteAsync(IReadOnlyList<CheckpointWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count == 0)
        {
            return [];
        }
        await using var command = dataSource.CreateCommand($"""
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::boolean[])
                    AS u (id, generation, version, seq, cursor_txid, cursor_position, membership, reset_fallback)
            ), written AS (
                UPDATE websocket_connections w SET
                    fallback_seq = CASE WHEN u.reset_fallback THEN NULL WHEN w.fallback_at IS NULL OR w.fallback_at < now() - interval '{FallbackAge}' THEN w.seq ELSE w.fallback_seq END,
                    fallback_cursor_txid = CASE WHEN u.reset_fallback THEN NULL WHEN w.fallback_at IS NULL OR w.fallback_at < now() - interval '{FallbackAge}' THEN w.cursor_txid ELSE w.fallback_cursor_txid END,
                    fallback_cursor_position = CASE WHEN u.reset_fallback THEN NULL WHEN w.fallback_at IS NULL OR w.fallback_at < now() - interval '{FallbackAge}' THEN w.cursor_position ELSE w.fallback_cursor_position END,
                    fallback_membership = CASE WHEN u.reset_fallback THEN NULL WHEN w.fallback_at IS NULL OR w.fallback_at < now() - interval '{FallbackAge}' THEN w.membership ELSE w.fallback_membership END,
                    fallback_at = CASE WHEN u.reset_fallback THEN NULL WHEN w.fallback_at IS NULL OR w.fallback_at < now() - interval '{FallbackAge}' THEN w.checkpoint_at ELSE w.fallback_at END,
                    version = u.version,
                    seq = u.seq,
                    cursor_txid = u.cursor_txid,
                    cursor_position = u.cursor_position,
                    membership = coalesce(u.membership::jsonb, w.membership),
                    checkpoint_at = now(),
                    last_seen = now()
                FROM input u
                WHERE w.id = u.id AND w.generation = u.generation AND w.version < u.version
                RETURNING w.id
            )
            SELECT u.id FROM input u
            WHERE NOT EXISTS (SELECT 1 FROM websocket_connections w WHERE w.id = u.id AND w.generation = u.generation)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.ConnectionId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.Generation).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.Version).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.Seq).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.Cursor.Txid).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.Cursor.Position).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.MembershipJson).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.ResetFallback).ToArray() });
        var lost = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lost.Add(reader.GetString(0));
        }
        return lost;
    }

    /// <summary>Forgets connections that can no longer resume.</summary>
    public async Task<int> DeleteExpiredAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM websocket_connections WHERE last_seen < now() - $1 - interval '1 minute'");
        command.Parameters.Add(new NpgsqlParameter { Value = window, NpgsqlDbType = NpgsqlDbType.Interval });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
