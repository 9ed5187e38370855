using System.Security.Cryptography;
using System.Text;
using Chat.Store.Caching;
using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

public sealed class SessionStore(NpgsqlDataSource db, StoreCaches caches)
{
    public async Task CreateAsync(Session session, string token)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO sessions (id, token_hash, user_id, create_at, expires_at, last_activity_at, device_id, csrf_token)
            VALUES (@Id, @TokenHash, @UserId, @CreateAt, @ExpiresAt, @LastActivityAt, @DeviceId, @CsrfToken)
            """, new { session.Id, TokenHash = HashToken(token), session.UserId, session.CreateAt, session.ExpiresAt, session.LastActivityAt, session.DeviceId, session.CsrfToken });
    }

    /// <summary>
    /// The live session a token opens, with the user's current roles and username. The lookup is by the token's hash,
    /// so nothing an attacker can time depends on how much of a guessed token matches. Served from the node's cache
    /// (every request asks); a revoked session is invalidated on every node (<see cref="StoreCaches"/>).
    /// </summary>
    public async Task<Session?> GetByTokenAsync(string token, long now)
    {
        var hash = HashToken(token);
        var session = await caches.Sessions.GetAsync(Convert.ToHexString(hash), async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            return await connection.QuerySingleOrDefaultAsync<Session>("""
                SELECT s.id, s.user_id, s.create_at, s.expires_at, s.last_activity_at, s.device_id, s.csrf_token, u.roles, u.username
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = @hash AND s.expires_at > @now AND u.delete_at = 0
                """, new { hash, now });
        });
        return session is not null && session.ExpiresAt > now ? session : null;
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

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
