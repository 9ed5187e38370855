using System.Net.Mail;
using System.Text.RegularExpressions;
using Chat.ServiceDefaults;

namespace Chat.Store.Model;

/// <summary>A user as Mattermost's API shows it. The password hash never leaves the store.</summary>
public sealed partial record User
{
    public const int MaxPasswordLength = 256;

    // Names Mattermost reserves for mentions and system use.
    private static readonly HashSet<string> ReservedUsernames = ["all", "channel", "here", "matterbot", "system"];

    // Bot accounts the server or a plugin creates on first use (EnsureBot): Mattermost's own (system-bot,
    // mattermost-advisor), those of Mattermost's bundled plugins, and this repository's example plugins. A person who
    // signed up under one first would make the plugin's EnsureBot fail, so sign-up and renames refuse them.
    private static readonly HashSet<string> BotUsernames =
        ["system-bot", "mattermost-advisor", "surveybot", "feedbackbot", "playbooks", "calls", "trigger-word", "channel-digest"];

    public required string Id { get; init; }
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    public required string Username { get; init; }
    public string AuthData { get; init; } = "";
    public string AuthService { get; init; } = "";
    public string Email { get; init; } = "";
    public bool EmailVerified { get; init; }
    public string Nickname { get; init; } = "";
    public string FirstName { get; init; } = "";
    public string LastName { get; init; } = "";
    public string Position { get; init; } = "";
    public string Roles { get; init; } = Model.Roles.SystemUser;
    public string Locale { get; init; } = "en";
    public bool IsBot { get; init; }
    public long LastPasswordUpdate { get; init; }
    /// <summary>When the profile image last changed: &gt; 0 a custom image, &lt;= 0 the generated default.</summary>
    public long LastPictureUpdate { get; init; }
    public Dictionary<string, string> NotifyProps { get; init; } = DefaultNotifyProps();
    public Dictionary<string, string> Timezone { get; init; } = new()
    {
        ["automaticTimezone"] = "",
        ["manualTimezone"] = "",
        ["useAutomaticTimezone"] = "true",
    };

    /// <summary>
    /// Mattermost's User.SetDefaultNotifications: mentions by username (not first name), @channel honoured, desktop
    /// and push notifications for mentions, email on.
    /// </summary>
    public static Dictionary<string, string> DefaultNotifyProps() => new()
    {
        ["channel"] = "true",
        ["comments"] = "never",
        ["desktop"] = "mention",
        ["desktop_sound"] = "true",
        ["desktop_threads"] = "all",
        ["email"] = "true",
        ["email_threads"] = "all",
        ["first_name"] = "false",
        ["mention_keys"] = "",
        ["push"] = "mention",
        ["push_status"] = "online",
        ["push_threads"] = "all",
    };

    /// <summary>Usernames are kept trimmed and in lower case, so they compare as Mattermost compares them.</summary>
    public static string NormalizeUsername(string? username) => (username ?? "").Trim().ToLowerInvariant();

    /// <summary>Whether only a bot may be named <paramref name="username"/> (normalized).</summary>
    public static bool IsReservedForBot(string username) => BotUsernames.Contains(username);

    public static AppErrorException ReservedForBot(string username) => AppErrorException.BadRequest(
        "model.user.is_valid.username.app_error", $"The username {username} is reserved for a bot account.");

    public static string NormalizeEmail(string? email) => (email ?? "").Trim().ToLowerInvariant();

    /// <summary>A letter, then 2 to 21 of <c>a-z 0-9 . - _</c>; not a name reserved for mentions or the system.</summary>
    public static bool IsValidUsername(string username) => UsernamePattern().IsMatch(username) && !ReservedUsernames.Contains(username);

    public static bool IsValidEmail(string email) =>
        email.Length <= 128 && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email;

    /// <summary>
    /// Mattermost's User.IsValid for the rules this server keeps (model.user.is_valid.*): the first one broken, or
    /// null. A bot's placeholder address, <c>{username}@localhost</c>, is the server's own and always accepted.
    /// </summary>
    public AppErrorException? IsValid()
    {
        if (!IsValidUsername(Username))
        {
            return AppErrorException.BadRequest("model.user.is_valid.username.app_error", IsBot
                ? "A bot's username must begin with a letter, and contain between 3 to 22 lowercase characters made up of numbers, letters, and the symbols '.', '-', and '_'."
                : "Username must begin with a letter, and contain between 3 to 22 lowercase characters made up of numbers, letters, and the symbols '.', '-', and '_'.");
        }
        if (!IsValidEmail(Email) && !(IsBot && Email == $"{Username}@localhost"))
        {
            return AppErrorException.BadRequest("model.user.is_valid.email.app_error", "Please enter a valid email address.");
        }
        return null;
    }

    /// <summary>The password rule (PasswordSettings.MinimumLength up to <see cref="MaxPasswordLength"/>); the plain password is never part of a User.</summary>
    public static AppErrorException? IsValidPassword(string password, int minimumLength) =>
        password.Length < minimumLength || password.Length > MaxPasswordLength
            ? AppErrorException.BadRequest("model.user.is_valid.pwd.app_error", $"Your password must contain between {minimumLength} and {MaxPasswordLength} characters.")
            : null;

    [GeneratedRegex("^[a-z][a-z0-9._-]{2,21}$")]
    private static partial Regex UsernamePattern();
}
