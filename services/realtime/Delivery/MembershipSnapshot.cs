using System.Data;
using Chat.BuildingBlocks.PubSub;
using Npgsql;

namespace Chat.Realtime.Delivery;

/// <summary>
/// A user's channels and teams and the log cursor they correspond to, read in one snapshot: replaying the log
/// after the cursor and applying its membership changes keeps the membership current (changes already in the
/// snapshot are applied again, which is harmless: they are set operations).
/// </summary>
internal sealed class MembershipSnapshot(NpgsqlDataSource dataSource, IEventLog log)
{
    public async Task<(Membership Membership, EventCursor Cursor)> LoadAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var channels = new List<KeyValuePair<string, string>>();
        var teams = new List<string>();
        await using (var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT m.channel_id, c.team_id FROM channel_members m JOIN channels c ON c.id = m.channel_id WHERE m.user_id = $1")
                {
                    Parameters = { new NpgsqlParameter { Value = userId } },
                },
                new NpgsqlBatchCommand("SELECT team_id FROM team_members WHERE user_id = $1")
                {
                    Parameters = { new NpgsqlParameter { Value = userId } },
                },
            },
        })
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                channels.Add(new(reader.GetString(0), reader.GetString(1)));
            }
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                teams.Add(reader.GetString(0));
            }
        }
        var cursor = await log.SnapshotCursorAsync(transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (Membership.Of(channels, teams), cursor);
    }
}
