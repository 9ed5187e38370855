using System.Security.Cryptography;
using Npgsql;

namespace Chat.ClusterTool;

/// <summary>
/// The launcher's own system admin. Signed up through the API: on a fresh system it is the first user, hence admin. On a
/// system that already had users it is granted system_admin in the database, as Mattermost's
/// <c>mattermost roles system_admin</c> command does.
/// </summary>
public sealed class AdminAccount(string username, FileInfo credentials)
{
    private const string SystemAdmin = "system_admin";
    private const string PasswordKey = "ADMIN_PASSWORD=";

    public async Task<ChatClient> SignInAsync(HttpClient http, string database, CancellationToken cancel)
    {
        var password = await PasswordAsync(cancel);
        var client = new ChatClient(http);
        if (!await client.LoginAsync(username, password, cancel))
        {
            await client.SignUpAsync(username, $"{username}@example.com", password, cancel);
            if (!await client.LoginAsync(username, password, cancel))
            {
                throw new ClusterToolException($"cannot sign in as {username} (credentials in {credentials.FullName})");
            }
        }
        if (!(await client.GetMyRolesAsync(cancel)).Contains(SystemAdmin))
        {
            await GrantSystemAdminAsync(database, cancel);
            // A session carries the roles its user had when it began.
            if (!await client.LoginAsync(username, password, cancel))
            {
                throw new ClusterToolException($"cannot sign in as {username}");
            }
        }
        return client;
    }

    /// <summary>The password kept in the credentials file (a shell-sourceable ADMIN_PASSWORD=...), chosen on first use.</summary>
    private async Task<string> PasswordAsync(CancellationToken cancel)
    {
        if (credentials.Exists)
        {
            var line = (await File.ReadAllLinesAsync(credentials.FullName, cancel)).FirstOrDefault(l => l.StartsWith(PasswordKey, StringComparison.Ordinal));
            return line?[PasswordKey.Length..] ?? throw new ClusterToolException($"{credentials.FullName} has no {PasswordKey}... line");
        }
        var password = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24);
        var temporary = credentials.FullName + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // its owner's alone from the moment it exists
        }
        await using (var writer = new StreamWriter(temporary, options))
        {
            await writer.WriteAsync($"{PasswordKey}{password}\n");
        }
        File.Move(temporary, credentials.FullName, overwrite: true);
        return password;
    }

    private async Task GrantSystemAdminAsync(string database, CancellationToken cancel)
    {
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var grant = dataSource.CreateCommand(
            "update users set roles = roles || ' ' || @role where username = @username and not (@role = any(string_to_array(roles, ' ')))");
        grant.Parameters.AddWithValue("role", SystemAdmin);
        grant.Parameters.AddWithValue("username", username);
        await grant.ExecuteNonQueryAsync(cancel);
    }
}
