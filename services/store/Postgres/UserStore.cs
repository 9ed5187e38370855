using System.Text.Json;
using Chat.Store.Model;
using Dapper;
using Chat.Store.Caching;
using Chat.Store.Routing;
using Npgsql;

namespace Chat.Store.Postgres;

/// <remarks>Lists and lookups by many ids (profiles for display) may run on a replica; single lookups and credentials stay on the primary.</remarks>
public sealed partial class UserStore(NpgsqlDataSource db, DatabaseRouter router, StoreCaches caches)
{
    internal const string Columns = "id, create_at, update_at, delete_at, username, email, nickname, first_name, last_name, position, roles, locale, is_bot, last_password_update, notify_props, last_picture_update";

    /// <summary>
    /// Inserts a user in the caller's transaction. A human user claims the one-time FirstAdminAssigned flag in the
    /// same transaction, so among concurrent first sign-ups on different nodes exactly one becomes system admin.
    /// </summary>
    public Task<User> CreateAsync(NpgsqlTransaction transaction, User user, string passwordHash) => DuplicateException.Guard(async () =>
    {
        var connection = transaction.Connection();
        if (!user.IsBot)
        {
            var claimed = await connection.ExecuteAsync(
                "UPDATE systems SET value = 'true' WHERE name = 'FirstAdminAssigned' AND value = 'false'", transaction: transaction);
            if (claimed == 1)
            {
                user = user with { Roles = $"{Roles.SystemUser} {Roles.SystemAdmin}" };
            }
        }
        await connection.ExecuteAsync($"""
            INSERT INTO users ({Columns}, password_hash)
            VALUES (@Id, @CreateAt, @UpdateAt, @DeleteAt, @Username, @Email, @Nickname, @FirstName, @LastName, @Position, @Roles, @Locale, @IsBot, @LastPasswordUpdate, @NotifyProps::jsonb, @LastPictureUpdate, @PasswordHash)
            """, new { user.Id, user.CreateAt, user.UpdateAt, user.DeleteAt, user.Username, user.Email, user.Nickname, user.FirstName, user.LastName, user.Position, user.Roles, user.Locale, user.IsBot, user.LastPasswordUpdate, NotifyProps = JsonSerializer.Serialize(user.NotifyProps), user.LastPictureUpdate, PasswordHash = passwordHash }, transaction);
        return user;
    });

    /// <summary>Writes the patchable profile fields; cached sessions carry the username, so they are dropped everywhere.</summary>
    public Task<User> PatchAsync(NpgsqlTransaction transaction, User user) => DuplicateException.Guard(async () =>
    {
        await transaction.Connection().ExecuteAsync("""
            UPDATE users SET username = @Username, email = @Email, nickname = @Nickname, first_name = @FirstName,
                last_name = @LastName, position = @Position, locale = @Locale, notify_props = @NotifyProps::jsonb, update_at = @UpdateAt
            WHERE id = @Id
            """, new { user.Id, user.Username, user.Email, user.Nickname, user.FirstName, user.LastName, user.Position, user.Locale, NotifyProps = JsonSerializer.Serialize(user.NotifyProps), user.UpdateAt }, transaction);
        await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.SessionsCache, UserId: user.Id));
        return user;
    });

    /// <summary>
    /// Records a new profile image (<paramref name="at"/> &gt; 0) or the return to the default one (a negative
    /// time, as Mattermost does, so the image's etag and URLs still change); returns the user as saved.
    /// </summary>
    public async Task<User?> SetPictureUpdateAsync(NpgsqlTransaction transaction, string userId, long at)
    {
        var user = await transaction.Connection().QuerySingleOrDefaultAsync<User>($"""
            UPDATE users SET last_picture_update = @at, update_at = @now WHERE id = @userId AND delete_at = 0
            RETURNING {Columns}
            """, new { userId, at, now = Math.Abs(at) }, transaction);
        if (user is not null)
        {
            await caches.InvalidateAsync(transaction, new CacheInvalidation(StoreCaches.SessionsCache, UserId: user.Id));
        }
        return user;
    }

    public async Task<User?> GetAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<User>($"SELECT {Columns} FROM users WHERE id = @id", new { id });
    }

    public async Task<User?> GetByUsernameAsync(string username)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<User>($"SELECT {Columns} FROM users WHERE username = @username", new { username });
    }

    /// <summary>The users with these usernames (profiles for display: may read a replica).</summary>
    public Task<IReadOnlyList<User>> GetManyByUsernameAsync(IReadOnlyCollection<string> usernames) =>
        router.ReadAsync<IReadOnlyList<User>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<User>($"SELECT {Columns} FROM users WHERE username = ANY(@usernames) ORDER BY username", new { usernames = usernames.ToArray() })]);

    /// <summary>The user a login id (username or email) names, with the password hash to verify.</summary>
    public async Task<(User User, string PasswordHash, int FailedAttempts)?> GetCredentialsAsync(string loginId)
    {
        await using var connection = await db.OpenConnectionAsync();
        var row = await connection.QuerySingleOrDefaultAsync<(string Id, string PasswordHash, int FailedAttempts)>(
            "SELECT id, password_hash, failed_attempts FROM users WHERE username = @loginId OR email = @loginId LIMIT 1", new { loginId });
        if (row.Id is null || await GetAsync(row.Id) is not { } user)
        {
            return null;
        }
        return (user, row.PasswordHash, row.FailedAttempts);
    }

    /// <summary>Counts a wrong password (atomically: concurrent attempts on several nodes all count).</summary>
    public async Task RecordFailedLoginAsync(string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = @userId", new { userId });
    }

    /// <summary>A right password below the limit starts the count again.</summary>
    public async Task ResetFailedLoginsAsync(string userId)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE users SET failed_attempts = 0 WHERE id = @userId AND failed_attempts <> 0", new { userId });
    }

    /// <summary>A new password, which also unlocks an account locked by failed attempts (as Mattermost's UpdatePassword).</summary>
    public async Task SetPasswordAsync(string userId, string passwordHash)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            UPDATE users SET password_hash = @passwordHash, failed_attempts = 0,
                last_password_update = (extract(epoch FROM clock_timestamp()) * 1000)::bigint, update_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
            WHERE id = @userId
            """, new { userId, passwordHash });
    }

    public Task<IReadOnlyList<User>> GetManyAsync(IReadOnlyCollection<string> ids) =>
        router.ReadAsync<IReadOnlyList<User>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<User>($"SELECT {Columns} FROM users WHERE id = ANY(@ids) ORDER BY username", new { ids = ids.ToArray() })]);

    /// <summary>Active human users, as Mattermost counts them for its server limits.</summary>
    public Task<long> CountActiveAsync() =>
        router.ReadAsync(ReadTarget.Replica, connection =>
            connection.ExecuteScalarAsync<long>("SELECT count(*) FROM users WHERE delete_at = 0 AND NOT is_bot"));

    public Task<IReadOnlyList<User>> ListAsync(int page, int perPage) =>
        router.ReadAsync<IReadOnlyList<User>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<User>(
                $"SELECT {Columns} FROM users ORDER BY username LIMIT @perPage OFFSET @offset",
                new { perPage, offset = (long)page * perPage })]);
}
