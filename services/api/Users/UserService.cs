using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Microsoft.AspNetCore.Identity;

namespace Chat.Api.Users;

public sealed record CreateUserRequest(string? Username, string? Email, string? Password, string? FirstName, string? LastName, string? Nickname, string? Position, string? Locale);

/// <summary>Mattermost's UserPatch: absent (null) fields stay as they are.</summary>
public sealed record UserPatchRequest(string? Username, string? Email, string? Nickname, string? FirstName, string? LastName, string? Position, string? Locale, string? Password, Dictionary<string, string>? NotifyProps);

public sealed record UpdatePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>
/// A session as Mattermost's API shows it (model.Session, sanitized: no token). The CSRF token, which Mattermost
/// keeps in props, is left out: an admin listing someone's sessions has no use for it.
/// </summary>
public sealed record SessionInfo(
    string Id, string Token, long CreateAt, long ExpiresAt, long LastActivityAt, string UserId, string DeviceId, string Roles,
    bool IsOauth, bool ExpiredNotify, Dictionary<string, string> Props, bool Local)
{
    public static SessionInfo From(Session s) =>
        new(s.Id, "", s.CreateAt, s.ExpiresAt, s.LastActivityAt, s.UserId, s.DeviceId, s.Roles, false, false, [], false);
}

public sealed record RevokeSessionRequest(string? SessionId);

public sealed record LoginRequest(string? LoginId, string? Password, string? DeviceId);

/// <summary>A successful login: the user, and the secrets the endpoint hands out as header and cookies.</summary>
public sealed record LoginResult(User User, string Token, string Csrf, DateTimeOffset Expires);

public sealed class UserService(UserStore users, SessionStore sessions, PreferenceStore preferences, IPasswordHasher<User> hasher, Outbox outbox, ChatConfig config)
{
    public async Task<User> CreateAsync(CreateUserRequest request, Session? caller)
    {
        if (!config.TeamSettings.EnableOpenServer && caller?.IsSystemAdmin != true)
        {
            throw new AppErrorException(403, "api.user.create_user.no_open_server", "This server does not allow open signups. Please speak with your Administrator to receive an invitation.");
        }
        var user = new User { Id = Ids.New(), Username = User.NormalizeUsername(request.Username), Email = User.NormalizeEmail(request.Email) };
        if (user.IsValid() is { } invalid)
        {
            throw invalid;
        }
        if (User.IsReservedForBot(user.Username))
        {
            throw User.ReservedForBot(user.Username);
        }
        var password = request.Password ?? "";
        if (User.IsValidPassword(password, config.PasswordSettings.MinimumLength) is { } invalidPassword)
        {
            throw invalidPassword;
        }
        var now = ChatDatabase.NowMs();
        user = user with
        {
            CreateAt = now,
            UpdateAt = now,
            LastPasswordUpdate = now,
            FirstName = Input.Text(request.FirstName, "first_name", 0, 64),
            LastName = Input.Text(request.LastName, "last_name", 0, 64),
            Nickname = Input.Text(request.Nickname, "nickname", 0, 64),
            Position = Input.Text(request.Position, "position", 0, 128),
            Locale = Input.Text(request.Locale is { Length: > 0 } l ? l : "en", "locale", 1, 5),
        };
        try
        {
            var passwordHash = hasher.HashPassword(user, password);
            return await outbox.WriteAsync(
                async tx =>
                {
                    var created = await users.CreateAsync(tx, user, passwordHash);
                    // As Mattermost does at sign-up: the web app's onboarding starts from step 0.
                    await preferences.SaveAsync(tx, [new Preference { UserId = created.Id, Category = Preference.TutorialStep, Name = created.Id, Value = "0" }]);
                    return created;
                },
                created => [WebSocketEvents.NewUser.Create(created.Id)]);
        }
        catch (DuplicateException e)
        {
            throw e.Constraint.Contains("email", StringComparison.Ordinal)
                ? AppErrorException.BadRequest("app.user.save.email_exists.app_error", "An account with that email already exists.")
                : AppErrorException.BadRequest("app.user.save.username_exists.app_error", "An account with that username already exists.");
        }
    }

    /// <summary>
    /// The bot account named <paramref name="username"/>, created on first use (plugins' EnsureBot). Concurrent
    /// callers on different nodes agree on one account. A bot has no password, cannot log in and never claims the
    /// first-admin flag.
    /// </summary>
    public async Task<User> EnsureBotAsync(string? username, string? displayName)
    {
        var name = User.NormalizeUsername(username);
        // Mattermost's bot accounts have a placeholder address under localhost.
        var bot = new User { Id = Ids.New(), Username = name, Email = $"{name}@localhost", IsBot = true };
        if (bot.IsValid() is { } invalid)
        {
            throw invalid;
        }
        var firstName = Input.Text(displayName, "display_name", 0, 64);
        if (await users.GetByUsernameAsync(name) is { } existing)
        {
            return ExistingBot(existing);
        }
        var now = ChatDatabase.NowMs();
        bot = bot with { CreateAt = now, UpdateAt = now, FirstName = firstName };
        try
        {
            return await outbox.WriteAsync(tx => users.CreateAsync(tx, bot, ""), created => [WebSocketEvents.NewUser.Create(created.Id)]);
        }
        catch (DuplicateException)
        {
            // Another node created it first.
            return ExistingBot(await users.GetByUsernameAsync(name) ?? throw AppErrorException.BadRequest("app.user.save.email_exists.app_error", $"An account with the address {name}@localhost already exists."));
        }

        static User ExistingBot(User user) => user.IsBot && user.DeleteAt == 0
            ? user
            : throw AppErrorException.BadRequest("app.bot.createbot.username_taken", $"The username {user.Username} belongs to a user who is not an active bot.");
    }

    public async Task<LoginResult> LoginAsync(LoginRequest request)
    {
        var loginId = (request.LoginId ?? "").Trim().ToLowerInvariant();
        var password = request.Password ?? "";
        if (loginId.Length is 0 or > 128 || password.Length is 0 or > 256)
        {
            throw InvalidCredentials();
        }
        var found = await users.GetCredentialsAsync(loginId);
        if (found is not { } credentials)
        {
            // Hash anyway, so the answer takes as long whether or not the account exists.
            hasher.HashPassword(DummyUser, password);
            throw InvalidCredentials();
        }
        if (credentials.User.DeleteAt != 0 || credentials.User.IsBot)
        {
            hasher.HashPassword(DummyUser, password);
            throw InvalidCredentials();
        }
        // Checked before the password, so a locked account says so whatever is tried next (Mattermost's order).
        if (credentials.FailedAttempts >= config.ServiceSettings.MaximumLoginAttempts)
        {
            throw new AppErrorException(401, "api.user.check_user_login_attempts.too_many.app_error",
                "Your account is locked because of too many failed password attempts. Ask a system admin to reset your password.");
        }
        if (hasher.VerifyHashedPassword(credentials.User, credentials.PasswordHash, password) == PasswordVerificationResult.Failed)
        {
            await users.RecordFailedLoginAsync(credentials.User.Id);
            throw InvalidCredentials();
        }
        if (credentials.FailedAttempts > 0)
        {
            await users.ResetFailedLoginsAsync(credentials.User.Id);
        }
        var now = ChatDatabase.NowMs();
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(now).AddHours(config.ServiceSettings.SessionLengthWebInHours);
        var token = Ids.NewToken();
        var session = new Session
        {
            Id = Ids.New(),
            UserId = credentials.User.Id,
            CreateAt = now,
            LastActivityAt = now,
            ExpiresAt = expires.ToUnixTimeMilliseconds(),
            DeviceId = Input.Text(request.DeviceId, "device_id", 0, 512),
            Roles = credentials.User.Roles,
            Username = credentials.User.Username,
            CsrfToken = Ids.NewToken(),
        };
        await sessions.CreateAsync(session, token);
        return new LoginResult(credentials.User, token, session.CsrfToken, expires);
    }

    /// <summary>
    /// Mattermost's PUT /users/{id}/password: users change their own with their current password; a system admin
    /// sets anyone else's without it. A new password also unlocks an account locked by failed attempts.
    /// </summary>
    public async Task UpdatePasswordAsync(string userId, UpdatePasswordRequest request, Session caller)
    {
        var self = caller.UserId == userId;
        Access.Demand(self || caller.HasPermission(Permissions.ManageSystem));
        var user = await users.GetAsync(userId) ?? throw AppErrorException.NotFound("User");
        var newPassword = request.NewPassword ?? "";
        if (User.IsValidPassword(newPassword, config.PasswordSettings.MinimumLength) is { } invalid)
        {
            throw invalid;
        }
        if (self)
        {
            var current = request.CurrentPassword ?? "";
            var credentials = await users.GetCredentialsAsync(user.Username);
            if (credentials is not { } found || current.Length is 0 or > 256
                || hasher.VerifyHashedPassword(user, found.PasswordHash, current) == PasswordVerificationResult.Failed)
            {
                throw AppErrorException.BadRequest("api.user.update_password.incorrect.app_error", "The \"Current Password\" you entered is incorrect.");
            }
        }
        await users.SetPasswordAsync(userId, hasher.HashPassword(user, newPassword));
    }

    public Task LogoutAsync(Session session) => outbox.WriteAsync(
        tx => sessions.DeleteAsync(tx, session.Id),
        deleted => deleted ? [WebSocketEvents.SessionRevoked.Create(session)] : []);

    /// <summary>Mattermost's sessions list: at most this many, the most recently active first.</summary>
    public const int MaxListedSessions = 1000;

    /// <summary>GET /users/{id}/sessions: the user's own, or anyone's with edit_other_users (Mattermost's SessionHasPermissionToUser).</summary>
    public async Task<IEnumerable<SessionInfo>> ListSessionsAsync(string userId, Session caller)
    {
        DemandSessionsOf(userId, caller);
        return (await sessions.ListByUserAsync(userId, MaxListedSessions)).Select(SessionInfo.From);
    }

    /// <summary>
    /// POST /users/{id}/sessions/revoke: the session stops working on every api node at once (its cache entries are
    /// invalidated through the outbox) and every realtime node closes its sockets (session_revoked).
    /// </summary>
    public async Task RevokeSessionAsync(string userId, string? sessionId, Session caller)
    {
        DemandSessionsOf(userId, caller);
        if (sessionId is null || !Ids.IsValid(sessionId))
        {
            throw AppErrorException.InvalidParam("session_id");
        }
        var session = await sessions.GetAsync(sessionId)
            ?? throw AppErrorException.BadRequest("app.session.get.app_error", "Unable to find the session.");
        if (session.UserId != userId)
        {
            throw AppErrorException.BadRequest("api.context.invalid_url_param.app_error", "Invalid or missing user_id in request URL.");
        }
        await outbox.WriteAsync(
            tx => sessions.DeleteAsync(tx, session.Id),
            deleted => deleted ? [WebSocketEvents.SessionRevoked.Create(session)] : []);
    }

    /// <summary>POST /users/{id}/sessions/revoke/all: every session of the user, the caller's own included when it is theirs.</summary>
    public async Task RevokeAllSessionsAsync(string userId, Session caller)
    {
        DemandSessionsOf(userId, caller);
        await outbox.WriteAsync(
            tx => sessions.DeleteAllAsync(tx, userId),
            ids => [.. ids.Select(id => WebSocketEvents.SessionRevoked.Create(id, userId))]);
    }

    private static void DemandSessionsOf(string userId, Session caller) =>
        Access.Demand(caller.UserId == userId || caller.HasPermission(Permissions.EditOtherUsers));

    public async Task<User> GetAsync(string id, Session caller) =>
        Sanitize(await users.GetAsync(id) ?? throw AppErrorException.NotFound("User"), caller);

    public async Task<User> GetByUsernameAsync(string username, Session caller)
    {
        var name = User.NormalizeUsername(username);
        if (name.Length is 0 or > 64)
        {
            throw AppErrorException.InvalidParam("username");
        }
        return Sanitize(await users.GetByUsernameAsync(name) ?? throw AppErrorException.NotFound("User"), caller);
    }

    /// <summary>POST /users/usernames: what the web app asks for the users a message mentions (unknown names are left out).</summary>
    public async Task<IEnumerable<User>> GetManyByUsernameAsync(string[]? usernames, Session caller)
    {
        if (usernames is null || usernames.Length is 0 or > 1000 || usernames.Any(u => u is null or { Length: 0 or > 64 }))
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", "Expected a JSON array of 1 to 1000 usernames.");
        }
        return (await users.GetManyByUsernameAsync([.. usernames.Select(u => u.ToLowerInvariant()).Distinct()])).Select(u => Sanitize(u, caller));
    }

    public async Task<IEnumerable<User>> GetManyAsync(string[]? ids, Session caller)
    {
        if (ids is null || ids.Length is 0 or > 1000)
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", "Expected a JSON array of 1 to 1000 user ids.");
        }
        foreach (var id in ids)
        {
            Input.Id(id, "user_ids");
        }
        return (await users.GetManyAsync([.. ids.Distinct()])).Select(u => Sanitize(u, caller));
    }

    /// <summary>
    /// Users patch themselves; edit_other_users (system admins) patches anyone. As in Mattermost, changing one's own
    /// email needs the current password. Sessions of the user are dropped from every node's cache (they carry the
    /// username).
    /// </summary>
    public async Task<User> PatchAsync(string userId, UserPatchRequest patch, Session caller)
    {
        Access.Demand(caller.UserId == userId || caller.HasPermission(Permissions.EditOtherUsers));
        var user = await users.GetAsync(userId) ?? throw AppErrorException.NotFound("User");
        if (user.DeleteAt != 0)
        {
            throw AppErrorException.BadRequest("api.user.update_user.deleted.app_error", "A deactivated user cannot be updated.");
        }
        var patched = user with
        {
            Username = patch.Username is null ? user.Username : User.NormalizeUsername(patch.Username),
            Email = patch.Email is null ? user.Email : User.NormalizeEmail(patch.Email),
        };
        // As in Mattermost's UpdateUser, the patched user is checked whole (its stored fields passed the same rules).
        if (patched.IsValid() is { } invalid)
        {
            throw invalid;
        }
        if (patched.Username != user.Username && !user.IsBot && User.IsReservedForBot(patched.Username))
        {
            throw User.ReservedForBot(patched.Username);
        }
        patched = patched with
        {
            Nickname = patch.Nickname is null ? user.Nickname : Input.Text(patch.Nickname, "nickname", 0, 64),
            FirstName = patch.FirstName is null ? user.FirstName : Input.Text(patch.FirstName, "first_name", 0, 64),
            LastName = patch.LastName is null ? user.LastName : Input.Text(patch.LastName, "last_name", 0, 64),
            Position = patch.Position is null ? user.Position : Input.Text(patch.Position, "position", 0, 128),
            Locale = patch.Locale is null ? user.Locale : Input.Text(patch.Locale, "locale", 1, 5),
            NotifyProps = patch.NotifyProps is null ? user.NotifyProps : ValidNotifyProps(patch.NotifyProps),
            UpdateAt = ChatDatabase.NowMs(),
        };
        if (patched.Email != user.Email && caller.UserId == userId && !caller.IsSystemAdmin)
        {
            var credentials = await users.GetCredentialsAsync(user.Username);
            if (patch.Password is not { Length: > 0 and <= 256 } password || credentials is null
                || hasher.VerifyHashedPassword(user, credentials.Value.PasswordHash, password) == PasswordVerificationResult.Failed)
            {
                throw AppErrorException.BadRequest("api.user.check_user_password.invalid.app_error", "Changing your email needs your current password.");
            }
        }
        try
        {
            return await outbox.WriteAsync(
                tx => users.PatchAsync(tx, patched),
                saved => [WebSocketEvents.UserUpdated.Create(SanitizeForOthers(saved))]);
        }
        catch (DuplicateException e)
        {
            throw e.Constraint.Contains("email", StringComparison.Ordinal)
                ? AppErrorException.BadRequest("app.user.save.email_exists.app_error", "An account with that email already exists.")
                : AppErrorException.BadRequest("app.user.save.username_exists.app_error", "An account with that username already exists.");
        }
    }

    /// <summary>What others may see of a user, per PrivacySettings; users and admins see everything of themselves.</summary>
    public User Sanitize(User user, Session caller)
    {
        return caller.UserId == user.Id || caller.IsSystemAdmin ? user : SanitizeForOthers(user);
    }

    public User SanitizeForOthers(User user) => ForOthers(user, config.PrivacySettings);

    /// <summary>What any other user may see of <paramref name="user"/> (also in events addressed to others).</summary>
    public static User ForOthers(User user, PrivacySettings privacy)
    {
        return user with
        {
            Email = privacy.ShowEmailAddress ? user.Email : "",
            FirstName = privacy.ShowFullName ? user.FirstName : "",
            LastName = privacy.ShowFullName ? user.LastName : "",
            NotifyProps = [],
            LastPasswordUpdate = 0,
        };
    }

    private const int MaxNotifyProps = 50;

    /// <summary>As in Mattermost's UserPatch, the sent notify_props replace the stored ones whole.</summary>
    private static Dictionary<string, string> ValidNotifyProps(Dictionary<string, string> props) =>
        props.Count <= MaxNotifyProps && props.All(p => p.Key.Length is > 0 and <= 64 && p.Value is { Length: <= 1024 })
            ? props
            : throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", $"notify_props must be at most {MaxNotifyProps} settings, each a name of 1 to 64 characters with a text value of at most 1024.");

    private static readonly User DummyUser = new() { Id = "", Username = "" };

    private static AppErrorException InvalidCredentials() =>
        new(401, "api.user.login.invalid_credentials_email_username", "Enter a valid email or username and/or password.");
}
