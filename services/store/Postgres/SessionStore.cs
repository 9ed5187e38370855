using System.Security.Cryptography;
using System.Text;
using Chat.Configuration;
using Chat.Store.Caching;
using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <summary>
/// Logins. A session is live until it expires (ServiceSettings.SessionLengthWebInHours), is revoked, its user is
/// deactivated, or — a web session (one without a device id, as Mattermost tells mobile apps apart) — it has been
/// idle for ServiceSettings.SessionIdleTimeoutInMinutes (0: never). Ended sessions are deleted by the jobs'
/// session_cleanup.
/// </summary>
public sealed class SessionStore(NpgsqlDataSource db, StoreCaches caches, ChatConfig config)
{
    /// <summary>
    /// How stale last_activity_at may get (Mattermost's SessionActivityTimeout): recorded at most this often, not on
    /// every request, so the idle timeout is kept to within this much.
    /// </summary>
    public const long ActivityRecordIntervalMs = 5 * 60 * 1000;

    // The one rule of a live session, in SQL (@now, @idle: the idle timeout in ms, 0 for none) and in C# (IsLive).
    private const string LiveSql = "s.expires_at > @now AND u.delete_at = 0 AND (@idle = 0 OR s.device_id <> '' OR s.last_activity_at > @now - @idle)";

    private const string Columns = "s.id, s.user_id, s.create_at, s.expires_at, s.last_activity_at, s.device_id, s.csrf_token, u.roles, u.username";

    public async Task CreateAsync(Session session, string token)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO sessions (id, token_hash, user_id, create_at, expires_at, last_activity_at, device_id, csrf_token)
            VALUES (@Id, @TokenHash, @UserId, @CreateAt, @ExpiresAt, @LastActivityAt, @DeviceId, @CsrfToken)
            """, new { session.Id, TokenHash = HashToken(token), session.UserId, session.CreateAt, session.ExpiresAt, session.LastActivityAt, session.DeviceId, session.CsrfToken });
    }

    /// <summary>
    /// The live session a token opens, with the user's current roles and username, its activity recorded (at most
    /// every <see cref="ActivityRecordIntervalMs"/>). The lookup is by the token's hash, so nothing an attacker can
    /// time depends on how much of a guessed token matches. Served from the node's cache (every request asks); a
    /// revoked session is invalidated on every node (<see cref="StoreCaches"/>).
    /// </summary>
    public async Task<Session?> GetByTokenAsync(string token, long now)
    {
        var hash = HashToken(token);
        var key = Convert.ToHexString(hash);
        var idle = IdleTimeoutMs;
        var session = await caches.Sessions.GetAsync(key, async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            return await connection.QuerySingleOrDefaultAsync<Session>($"""
                SELECT {Columns}
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = @hash AND {LiveSql}
                """, new { hash, now, idle });
        });
        if (session is null || !IsLive(session, now, idle))
        {
            return null;
        }
        if (now - session.LastActivityAt >= ActivityRecordIntervalMs)
        {
            session = await RecordActivityAsync(key, session, now);
        }
        return session;
    }

    /// <summary>Which of <paramref name="ids"/> are live sessions now (the realtime nodes' sweep of open sockets).</summary>
    public async Task<HashSet<string>> LiveAmongAsync(string[] ids, long now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var live = await connection.QueryAsync<string>(new CommandDefinition($"""
            SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id = ANY(@ids) AND {LiveSql}
            """, new { ids, now, idle = IdleTimeoutMs }, cancellationToken: cancellationToken));
        return live.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A user's sessions, most recently active first (Mattermost's GetSessions), ended ones not yet deleted included.</summary>
    public async Task<IReadOnlyList<Session>> ListByUserAsync(string userId, int limit)
    {
        await using var connection = await db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Session>($"""
            SELECT {Columns}
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.user_id = @userId
            ORDER BY s.last_activity_at DESC, s.id
            LIMIT @limit
            """, new { userId, limit })];
    }

    public async Task<Session?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Session>($"""
            SELECT {Columns}
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id = @id
            """, new { id });
    }

    public async Task<bool> DeleteAsync(NpgsqlTransaction transaction, string id)
    {
        var hash = await transaction.Connection().QuerySingleOrDefaultAsync<byte[]>(
            "DELETE FROM sessions WHERE id = @id RETURNING token_hash", new { id }, transaction);
        if (hash is null)
        {
            return false;
        }
        await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.SessionsCache, TokenHash: Convert.ToHexString(hash)));
        return true;
    }

    /// <summary>Deletes every session of the user; returns the deleted sessions' ids.</summary>
    public async Task<IReadOnlyList<string>> DeleteAllAsync(NpgsqlTransaction transaction, string userId)
    {
        var ids = (await transaction.Connection().QueryAsync<string>(
            "DELETE FROM sessions WHERE user_id = @userId RETURNING id", new { userId }, transaction)).ToList();
        if (ids.Count > 0)
        {
            await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.SessionsCache, UserId: userId));
        }
        return ids;
    }

    /// <summary>
    /// Deletes up to <paramref name="limit"/> sessions that have ended by expiry or idleness (nothing to invalidate:
    /// no node accepts them any more); returns how many.
    /// </summary>
    public async Task<int> DeleteEndedAsync(long now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM sessions WHERE id IN (
                SELECT id FROM sessions WHERE expires_at <= @now
                UNION
                SELECT id FROM sessions WHERE @idle > 0 AND device_id = '' AND last_activity_at <= @now - @idle
                LIMIT @limit)
            """, new { now, idle = IdleTimeoutMs, limit }, cancellationToken: cancellationToken));
    }

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private long IdleTimeoutMs => config.ServiceSettings.SessionIdleTimeoutInMinutes * 60_000L;

    private static bool IsLive(Session session, long now, long idle) =>
        session.ExpiresAt > now && (idle == 0 || session.DeviceId.Length > 0 || session.LastActivityAt > now - idle);

    /// <summary>
    /// Best effort: a database that cannot take the write now must not refuse a live session (the next request
    /// tries again). Other nodes' cached copies catch up when they expire.
    /// </summary>
    private async Task<Session> RecordActivityAsync(string key, Session session, long now)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync();
            await connection.ExecuteAsync(
                "UPDATE sessions SET last_activity_at = @now WHERE id = @id AND last_activity_at < @now",
                new { now, id = session.Id });
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return session;
        }
        var touched = session with { LastActivityAt = now };
        caches.Sessions.Replace(key, touched);
        return touched;
    }
}
