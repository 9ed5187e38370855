using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Chat.BuildingBlocks.State.Embedded;

/// <summary>
/// The state store on the cluster's PostgreSQL (table state_entries). Every write is one statement, so the ETag
/// check and the write are atomic; expiry uses the database clock. Expired rows are invisible to every operation and
/// deleted by <see cref="BuildingBlocks.Embedded.ExpiredRowPruner"/>.
/// </summary>
public sealed class EmbeddedStateStore(NpgsqlDataSource dataSource) : IStateStore
{
    public async Task<StateEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        await using var command = dataSource.CreateCommand(
            "SELECT value::text, etag FROM state_entries WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())");
        command.Parameters.Add(Text(key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new StateEntry(key, JsonSerializer.Deserialize<JsonElement>(reader.GetString(0)), reader.GetGuid(1).ToString());
    }

    public async Task<bool> SaveAsync(string key, JsonElement value, string? etag = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        if (etag is null)
        {
            return await ExecuteAsync("""
                INSERT INTO state_entries (key, value, etag, expires_at) VALUES ($1, $2, gen_random_uuid(), now() + $3)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, etag = excluded.etag, expires_at = excluded.expires_at, updated_at = now()
                """, key, value, timeToLive, null, cancellationToken);
        }
        // An ETag that is not one of ours can match nothing.
        if (!Guid.TryParse(etag, out var expected))
        {
            return false;
        }
        return await ExecuteAsync("""
            UPDATE state_entries SET value = $2, etag = gen_random_uuid(), expires_at = now() + $3, updated_at = now()
            WHERE key = $1 AND etag = $4 AND (expires_at IS NULL OR expires_at > now())
            """, key, value, timeToLive, expected, cancellationToken);
    }

    public Task<bool> TryAddAsync(string key, JsonElement value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        // An expired row still occupies the key until pruned: it counts as absent and is replaced.
        return ExecuteAsync("""
            INSERT INTO state_entries AS s (key, value, etag, expires_at) VALUES ($1, $2, gen_random_uuid(), now() + $3)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, etag = excluded.etag, expires_at = excluded.expires_at, updated_at = now()
            WHERE s.expires_at IS NOT NULL AND s.expires_at <= now()
            """, key, value, timeToLive, null, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string key, string? etag = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        if (etag is null)
        {
            await using var delete = dataSource.CreateCommand("DELETE FROM state_entries WHERE key = $1");
            delete.Parameters.Add(Text(key));
            await delete.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        if (!Guid.TryParse(etag, out var expected))
        {
            return false;
        }
        await using var command = dataSource.CreateCommand(
            "DELETE FROM state_entries WHERE key = $1 AND etag = $2 AND (expires_at IS NULL OR expires_at > now())");
        command.Parameters.Add(Text(key));
        command.Parameters.Add(new NpgsqlParameter { Value = expected, NpgsqlDbType = NpgsqlDbType.Uuid });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<string>> ListKeysAsync(string prefix, int skip = 0, int take = 1000, CancellationToken cancellationToken = default)
    {
        StateKeys.ValidatePage(skip, take);
        await using var command = dataSource.CreateCommand("""
            SELECT key FROM state_entries WHERE key LIKE $1 AND (expires_at IS NULL OR expires_at > now())
            ORDER BY key OFFSET $2 LIMIT $3
            """);
        command.Parameters.Add(Text(LikePrefix(prefix)));
        command.Parameters.Add(new NpgsqlParameter { Value = skip });
        command.Parameters.Add(new NpgsqlParameter { Value = take });
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }
        return keys;
    }

    /// <summary>A LIKE pattern matching strings that start with <paramref name="prefix"/> (backslash is LIKE's escape).</summary>
    internal static string LikePrefix(string prefix) =>
        prefix.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";

    private async Task<bool> ExecuteAsync(string sql, string key, JsonElement value, TimeSpan? timeToLive, Guid? etag, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(Text(key));
        command.Parameters.Add(new NpgsqlParameter { Value = value.GetRawText(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = timeToLive is { } ttl ? ttl > TimeSpan.Zero ? ttl : throw new ArgumentOutOfRangeException(nameof(timeToLive), "A time to live must be positive.") : DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Interval,
        });
        if (etag is { } expected)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = expected, NpgsqlDbType = NpgsqlDbType.Uuid });
        }
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Text };
}
