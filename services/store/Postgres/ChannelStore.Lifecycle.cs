using Chat.Store.Caching;
using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>Channels the server creates itself (a team's default channels, group channels) and archiving.</summary>
public sealed partial class ChannelStore
{
    /// <summary>A new team's default channels (<see cref="DefaultChannels"/>), public and without members, in the caller's transaction.</summary>
    public async Task CreateDefaultChannelsAsync(NpgsqlTransaction transaction, string teamId, long now)
    {
        foreach (var (name, displayName) in DefaultChannels.All)
        {
            var channel = new Channel { Id = Ids.New(), CreateAt = now, UpdateAt = now, TeamId = teamId, Type = ChannelTypes.Open, Name = name, DisplayName = displayName };
            await transaction.Connection().ExecuteAsync(InsertSql, channel, transaction);
        }
    }

    /// <summary>
    /// Makes a new team member a member of the team's default channels that exist, are public and are not archived
    /// (in the caller's transaction). Returns the channels joined by this call, town-square first.
    /// </summary>
    public async Task<IReadOnlyList<Channel>> JoinDefaultChannelsAsync(NpgsqlTransaction transaction, string teamId, string userId, long now)
    {
        var joined = (await transaction.Connection().QueryAsync<Channel>($"""
            WITH joined AS (
                INSERT INTO channel_members (channel_id, user_id, last_update_at)
                SELECT c.id, @userId, @now FROM channels c
                WHERE c.team_id = @teamId AND c.name = ANY(@names) AND c.type = 'O' AND c.delete_at = 0
                ON CONFLICT DO NOTHING
                RETURNING channel_id)
            SELECT {PrefixedColumns} FROM channels c JOIN joined j ON j.channel_id = c.id
            ORDER BY c.name <> @townSquare, c.name
            """, new { teamId, userId, now, names = DefaultChannels.Names, townSquare = DefaultChannels.TownSquare }, transaction)).ToList();
        if (joined.Count > 0)
        {
            await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.ChannelAccessCache, UserId: userId));
        }
        return joined;
    }

    /// <summary>
    /// The group channel of these users (<see cref="Channel.GroupName"/>), created with all of them as members on
    /// first use (in the caller's transaction); concurrent callers agree on one, and only one of them sees <c>Created</c>.
    /// </summary>
    public Task<(Channel Channel, bool Created)> GetOrCreateGroupAsync(NpgsqlTransaction transaction, Channel candidate, IReadOnlyCollection<string> userIds) =>
        GetOrCreateWithMembersAsync(transaction, candidate, userIds);

    private async Task<(Channel Channel, bool Created)> GetOrCreateWithMembersAsync(NpgsqlTransaction transaction, Channel candidate, IReadOnlyCollection<string> userIds)
    {
        var connection = transaction.Connection();
        var inserted = await connection.ExecuteAsync(InsertSql + " ON CONFLICT (team_id, name) DO NOTHING", candidate, transaction);
        if (inserted == 1)
        {
            await connection.ExecuteAsync(
                "INSERT INTO channel_members (channel_id, user_id, last_update_at) SELECT @channelId, u, @now FROM unnest(@users) u ON CONFLICT DO NOTHING",
                new { channelId = candidate.Id, users = userIds.Distinct().ToArray(), now = candidate.CreateAt }, transaction);
        }
        var channel = await connection.QuerySingleAsync<Channel>(
            $"SELECT {Columns} FROM channels WHERE team_id = '' AND name = @Name", candidate, transaction);
        return (channel, inserted == 1);
    }

    /// <summary>
    /// Archives the channel (Mattermost's soft delete: members and posts stay); null when it was archived already.
    /// Cached access facts carry the channel, so they are dropped everywhere.
    /// </summary>
    public async Task<Channel?> ArchiveAsync(NpgsqlTransaction transaction, string channelId, long now)
    {
        var archived = await transaction.Connection().QuerySingleOrDefaultAsync<Channel>($"""
            UPDATE channels SET delete_at = @now, update_at = @now
            WHERE id = @channelId AND delete_at = 0
            RETURNING {Columns}
            """, new { channelId, now }, transaction);
        if (archived is not null)
        {
            await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.ChannelAccessCache, ChannelId: channelId));
        }
        return archived;
    }
}
