namespace Chat.IntegrationTests;

/// <summary>
/// ServiceSettings.MaximumLoginAttempts (10): wrong passwords in a row, counted in the database whichever api node
/// each reaches, lock password login until the password is reset; a right password below the limit starts again.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LoginLockoutTests(ClusterFixture cluster)
{
    private const int MaximumLoginAttempts = 10;

    [Fact]
    public async Task Ten_wrong_passwords_on_both_nodes_lock_the_account_until_an_admin_sets_a_new_one()
    {
        var user = await cluster.NewUserAsync(cluster.Api1, "locked");
        var nodes = new[] { cluster.Api1, cluster.Api2 };
        for (var i = 0; i < MaximumLoginAttempts; i++)
        {
            var wrong = await user.Anonymous().On(nodes[i % 2].BaseUrl).PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = $"wrong-{i}" });
            Assert.Equal("api.user.login.invalid_credentials_email_username", (string?)wrong.Expect(401).Json["id"]);
        }
        foreach (var node in nodes)
        {
            var locked = await user.Anonymous().On(node.BaseUrl).PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = ApiClient.DefaultPassword });
            Assert.Equal("api.user.check_user_login_attempts.too_many.app_error", (string?)locked.Expect(401).Json["id"]);
        }

        // Sessions opened before the lockout still work; the user cannot unlock themselves without a password that
        // works, and only a system admin may set someone else's.
        (await user.GetAsync("/api/v4/users/me")).Expect(200);
        var other = await cluster.NewUserAsync(cluster.Api2, "other");
        (await other.PutAsync($"/api/v4/users/{user.UserId}/password", new { NewPassword = "a-new-password-1" })).Expect(403);
        (await cluster.Admin.PutAsync($"/api/v4/users/{user.UserId}/password", new { NewPassword = "a-new-password-1" })).Expect(200);
        (await user.Anonymous().On(cluster.Api2.BaseUrl).PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = ApiClient.DefaultPassword })).Expect(401);
        (await user.Anonymous().On(cluster.Api2.BaseUrl).PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = "a-new-password-1" })).Expect(200);
    }

    [Fact]
    public async Task A_right_password_below_the_limit_starts_the_count_again_and_users_change_their_own_with_the_current_one()
    {
        var user = await cluster.NewUserAsync(cluster.Api2, "reset");
        async Task<int> LoginAsync(string password) =>
            (await user.Anonymous().PostAsync("/api/v4/users/login", new { LoginId = user.Username, Password = password })).Status;
        for (var i = 0; i < MaximumLoginAttempts - 1; i++)
        {
            Assert.Equal(401, await LoginAsync("wrong"));
        }
        Assert.Equal(200, await LoginAsync(ApiClient.DefaultPassword));
        for (var i = 0; i < MaximumLoginAttempts - 1; i++)
        {
            Assert.Equal(401, await LoginAsync("wrong"));
        }
        Assert.Equal(200, await LoginAsync(ApiClient.DefaultPassword));

        Assert.Equal("api.user.update_password.incorrect.app_error",
            (string?)(await user.PutAsync("/api/v4/users/me/password", new { CurrentPassword = "wrong", NewPassword = "another-password-2" })).Expect(400).Json["id"]);
        (await user.PutAsync("/api/v4/users/me/password", new { CurrentPassword = ApiClient.DefaultPassword, NewPassword = "x" })).Expect(400);
        (await user.PutAsync($"/api/v4/users/{user.UserId}/password", new { CurrentPassword = ApiClient.DefaultPassword, NewPassword = "another-password-2" })).Expect(200);
        Assert.Equal(200, await LoginAsync("another-password-2"));
    }
}
