using Npgsql;

namespace Chat.BuildingBlocks.Embedded;

/// <summary>
/// Pruning shared by every node: a session advisory lock lets one node at a time do it, and deletes go in batches,
/// each its own short transaction (a long one would hold back every event-log reader).
/// </summary>
internal static class ExclusiveBatchedDelete
{
    /// <summary>
    /// Runs each delete until a batch removes fewer than <paramref name="batchRows"/> rows; the batch size is the
    /// statement's last parameter, after <c>parameters</c>. Returns the rows deleted, 0 when another node holds the lock.
    /// </summary>
    public static async Task<long> RunAsync(NpgsqlDataSource dataSource, long lockKey, int batchRows, IReadOnlyList<(string Sql, object[] Parameters)> deletes, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
        {
            tryLock.Parameters.Add(new NpgsqlParameter { Value = lockKey });
            if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
            {
                return 0;
            }
        }
        try
        {
            long total = 0;
            foreach (var (sql, parameters) in deletes)
            {
                int deleted;
                do
                {
                    await using var delete = new NpgsqlCommand(sql, connection);
                    foreach (var value in parameters.Append(batchRows))
                    {
                        delete.Parameters.Add(new NpgsqlParameter { Value = value });
                    }
                    deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
                    total += deleted;
                }
                while (deleted == batchRows);
            }
            return total;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = lockKey });
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
