using System.Text.Json.Nodes;
using Chat.Testing;

namespace Chat.IntegrationTests;

/// <summary>
/// What the web app loads at boot besides users and teams: roles, the client license, server limits and the user's
/// preferences (and notify_props), the same from either api node; preference changes record their events.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RolesAndPreferencesTests(ClusterFixture cluster)
{
    private RecordedEvents Log => new(cluster.DataSource);

    [Fact]
    public async Task Roles_load_by_names_name_and_id_with_the_same_ids_on_both_nodes()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var names = new[] { "system_user", "team_user", "channel_admin", "no_such_role", "system_user", "system_admin" };
        var one = (await user.PostAsync("/api/v4/roles/names", names)).Expect(200).Json.AsArray();
        var two = (await user.On(cluster.Api2.BaseUrl).PostAsync("/api/v4/roles/names", names)).Expect(200).Json.AsArray();
        Assert.Equal(["system_user", "team_user", "channel_admin", "system_admin"], one.Select(r => (string)r!["name"]!));
        Assert.Equal(one.ToJsonString(), two.ToJsonString());

        var systemUser = one[0]!;
        Assert.Matches("^[a-z0-9]{26}$", (string?)systemUser["id"]);
        Assert.Equal("authentication.roles.global_user.name", (string?)systemUser["display_name"]);
        Assert.True((bool)systemUser["built_in"]!);
        Assert.True((bool)systemUser["scheme_managed"]!);
        Assert.Equal(0L, (long)systemUser["delete_at"]!);
        Assert.Null(systemUser["scheme_id"]);
        var permissions = systemUser["permissions"]!.AsArray().Select(p => (string)p!).ToList();
        Assert.Contains("create_direct_channel", permissions);
        Assert.DoesNotContain("manage_system", permissions);
        var admin = one[3]!["permissions"]!.AsArray().Select(p => (string)p!).ToHashSet();
        Assert.Contains("manage_system", admin);
        Assert.True(one.Take(3).SelectMany(r => r!["permissions"]!.AsArray()).All(p => admin.Contains((string)p!)));

        var byName = (await user.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/roles/name/team_user")).Expect(200).Json;
        Assert.Equal(one[1]!.ToJsonString(), byName.ToJsonString());
        var byId = (await user.GetAsync($"/api/v4/roles/{one[1]!["id"]}")).Expect(200).Json;
        Assert.Equal(byName.ToJsonString(), byId.ToJsonString());

        await Refused(user.GetAsync("/api/v4/roles/name/no_such_role"), 404, "app.role.get_by_name.app_error", "unknown name");
        await Refused(user.GetAsync($"/api/v4/roles/{NewId()}"), 404, "app.role.get.app_error", "unknown id");
        await Refused(user.GetAsync("/api/v4/roles/nope"), 400, "api.context.invalid_param.app_error", "malformed id");
        await Refused(user.PostAsync("/api/v4/roles/names", new[] { "System User" }), 400, "api.context.invalid_body_param.app_error", "malformed name");
        await Refused(user.PostAsync("/api/v4/roles/names", Array.Empty<string>()), 400, "api.context.invalid_body_param.app_error", "no names");
        await Refused(user.GetAsync("/api/v4/roles"), 403, "api.context.permissions.app_error", "all roles as a user");
        await Refused(cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/roles/names", new[] { "system_user" }), 401, null, "anonymous");
        var all = (await cluster.Admin.GetAsync("/api/v4/roles")).Expect(200).Json.AsArray();
        Assert.Contains(all, r => (string?)r!["name"] == "system_read_only_admin");
    }

    [Fact]
    public async Task The_client_license_says_unlicensed_and_the_server_limits_answer_every_user()
    {
        var user = await cluster.NewUserAsync(cluster.Api2);
        foreach (var caller in new[] { cluster.Anonymous(cluster.Api1), user })
        {
            var license = (await caller.GetAsync("/api/v4/license/client?format=old")).Expect(200);
            Assert.Equal("""{"IsLicensed":"false"}""", license.Body);
        }
        await Refused(user.GetAsync("/api/v4/license/client"), 400, "api.license.client.old_format.app_error", "license without format");
        await Refused(user.GetAsync("/api/v4/license/client?format=new"), 400, "api.context.invalid_param.app_error", "license in another format");
        await Refused(cluster.Anonymous(cluster.Api1).GetAsync("/api/v4/limits/server"), 401, null, "limits anonymously");

        var limits = (await user.GetAsync("/api/v4/limits/server")).Expect(200).Json.AsObject();
        Assert.Equal(
            ["activeUserCount", "maxUsersLimit", "maxUsersHardLimit", "lastAccessiblePostTime", "postHistoryLimit", "singleChannelGuestCount", "singleChannelGuestLimit"],
            limits.Select(p => p.Key));
        Assert.All(limits, p => Assert.Equal(0L, (long)p.Value!));
        var forAdmin = (await cluster.Admin.GetAsync("/api/v4/limits/server")).Expect(200).Json;
        Assert.True((long)forAdmin["activeUserCount"]! >= 2);
        Assert.Equal(0L, (long)forAdmin["maxUsersLimit"]!);
    }

    [Fact]
    public async Task Api_responses_carry_the_version_without_cache_control_so_the_web_app_learns_it()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        foreach (var path in new[] { "/api/v4/users/me", "/api/v4/users/me/preferences", "/api/v4/limits/server" })
        {
            var response = (await user.GetAsync(path)).Expect(200);
            Assert.False(string.IsNullOrEmpty(response.Header("X-Version-Id")), path);
            Assert.Null(response.Headers.CacheControl);
        }
    }

    [Fact]
    public async Task New_users_get_Mattermosts_default_notify_props_which_they_may_change()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var props = (await user.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200).Json["notify_props"]!.AsObject();
        Assert.Equal("true", (string?)props["channel"]);
        Assert.Equal("false", (string?)props["first_name"]);
        Assert.Equal("", (string?)props["mention_keys"]);
        Assert.Equal("mention", (string?)props["desktop"]);
        Assert.Equal("mention", (string?)props["push"]);
        Assert.Equal(12, props.Count);

        var changed = new Dictionary<string, string>(props.Select(p => KeyValuePair.Create(p.Key, (string)p.Value!))) { ["mention_keys"] = "deploy,release" };
        var patched = (await user.PutAsync("/api/v4/users/me/patch", new { NotifyProps = changed })).Expect(200).Json;
        Assert.Equal("deploy,release", (string?)patched["notify_props"]!["mention_keys"]);
        Assert.Equal("deploy,release", (string?)(await user.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me")).Expect(200).Json["notify_props"]!["mention_keys"]);
        // Others never see them.
        var other = await cluster.NewUserAsync(cluster.Api2);
        Assert.Empty((await other.GetAsync($"/api/v4/users/{user.UserId}")).Expect(200).Json["notify_props"]!.AsObject());
        await Refused(user.SendAsync(HttpMethod.Put, "/api/v4/users/me/patch", ApiClient.RawJson("""{"notify_props":{"channel":null}}""")), 400, "api.context.invalid_body_param.app_error", "a null setting");
    }

    [Fact]
    public async Task A_preference_saved_through_one_node_is_read_through_the_other_and_sent_to_its_user()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var id = user.UserId!;
        var mine = (await user.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me/preferences")).Expect(200).Json.AsArray();
        Assert.Contains(mine, p => (string?)p!["category"] == "tutorial_step" && (string?)p["name"] == id && (string?)p["value"] == "0");

        var after = await Log.PositionAsync();
        var channelShown = new { UserId = id, Category = "direct_channel_show", Name = NewId(), Value = "true" };
        var saved = new[] { channelShown, new { UserId = id, Category = "display_settings", Name = "use_military_time", Value = "true" } };
        Assert.Equal("OK", (string?)(await user.PutAsync($"/api/v4/users/{id}/preferences", saved)).Expect(200).Json["status"]);
        // An upsert: saving it again replaces the value.
        (await user.PutAsync("/api/v4/users/me/preferences", new[] { saved[1] with { Value = "false" } })).Expect(200);

        var seen = (await user.On(cluster.Api2.BaseUrl).GetAsync($"/api/v4/users/{id}/preferences")).Expect(200).Json.AsArray();
        Assert.Contains(seen, p => (string?)p!["category"] == "direct_channel_show" && (string?)p["name"] == channelShown.Name && (string?)p["value"] == "true");
        var display = (await user.On(cluster.Api2.BaseUrl).GetAsync("/api/v4/users/me/preferences/display_settings")).Expect(200).Json.AsArray();
        Assert.Equal("false", (string?)Assert.Single(display)!["value"]);

        var changes = (await Log.ReadAsync(after)).Where(e => e.Event == "preferences_changed" && e.Audience == $"user:{id}").ToList();
        Assert.Equal(2, changes.Count);
        // data.preferences is a JSON string, as Mattermost sends it.
        var sent = JsonNode.Parse((string)changes[0].Data["preferences"]!)!.AsArray();
        Assert.Equal([channelShown.Name, "use_military_time"], sent.Select(p => (string)p!["name"]!));
        Assert.Equal(id, (string?)sent[0]!["user_id"]);

        var deleted = new[] { channelShown };
        (await user.On(cluster.Api2.BaseUrl).PostAsync($"/api/v4/users/{id}/preferences/delete", deleted)).Expect(200);
        Assert.DoesNotContain((await user.GetAsync("/api/v4/users/me/preferences")).Expect(200).Json.AsArray(), p => (string?)p!["name"] == channelShown.Name);
        var deletion = Assert.Single(await Log.ReadAsync(after), e => e.Event == "preferences_deleted");
        Assert.Equal($"user:{id}", deletion.Audience);
        Assert.Equal(channelShown.Name, (string?)JsonNode.Parse((string)deletion.Data["preferences"]!)![0]!["name"]);
    }

    [Fact]
    public async Task Preferences_are_their_users_and_checked_as_Mattermost_checks_them()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        var other = await cluster.NewUserAsync(cluster.Api2);
        var id = user.UserId!;
        object One(string category, string name, string value, string? userId = null) => new[] { new { UserId = userId ?? id, Category = category, Name = name, Value = value } };

        await Refused(other.GetAsync($"/api/v4/users/{id}/preferences"), 403, "api.context.permissions.app_error", "read someone else's");
        await Refused(other.PutAsync($"/api/v4/users/{id}/preferences", One("display_settings", "x", "y")), 403, "api.context.permissions.app_error", "save someone else's");
        await Refused(user.PutAsync($"/api/v4/users/{id}/preferences", One("display_settings", "x", "y", other.UserId)), 403, "api.preference.update_preferences.set.app_error", "a preference of another user");
        await Refused(user.PostAsync($"/api/v4/users/{id}/preferences/delete", One("display_settings", "x", "y", other.UserId)), 403, "api.preference.delete_preferences.delete.app_error", "delete another user's");
        await Refused(user.PutAsync($"/api/v4/users/{id}/preferences", One("", "x", "y")), 400, "model.preference.is_valid.category.app_error", "empty category");
        await Refused(user.PutAsync($"/api/v4/users/{id}/preferences", One("display_settings", new string('n', 33), "y")), 400, "model.preference.is_valid.name.app_error", "long name");
        await Refused(user.PutAsync($"/api/v4/users/{id}/preferences", One("display_settings", "x", new string('v', 20001))), 400, "model.preference.is_valid.value.app_error", "long value");
        await Refused(user.PutAsync($"/api/v4/users/{id}/preferences", One("theme", "", "dark")), 400, "model.preference.is_valid.theme.app_error", "theme not JSON");
        await Refused(user.PutAsync($"/api/v4/users/{id}/preferences", One("flagged_post", NewId(), "true")), 400, "api.context.invalid_param.app_error", "flagged unknown post");
        await Refused(user.PutAsync($"/api/v4/users/{id}/preferences", Array.Empty<object>()), 400, "api.context.invalid_body_param.app_error", "no preferences");
        await Refused(user.GetAsync("/api/v4/users/me/preferences/nothing_here"), 404, "api.preference.preferences_category.get.app_error", "an empty category");
        await Refused(user.GetAsync("/api/v4/users/nope/preferences"), 400, "api.context.invalid_param.app_error", "malformed user id");

        // A post in a channel the user cannot read cannot be flagged.
        var teamId = await other.CreateTeamAsync();
        var secret = (await other.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = Unique.ChannelName(), DisplayName = "Secret", Type = "P" })).Expect(201).Json.Id();
        var postId = (await other.CreatePostAsync(secret, "hidden")).Id();
        (await user.PutAsync($"/api/v4/users/{id}/preferences", One("flagged_post", postId, "true"))).Expect(403);
        (await other.PutAsync($"/api/v4/users/{other.UserId}/preferences", One("flagged_post", postId, "true", other.UserId))).Expect(200);

        // A system admin may read and change anyone's (edit_other_users).
        (await cluster.Admin.PutAsync($"/api/v4/users/{id}/preferences", One("display_settings", "name_format", "full_name"))).Expect(200);
        Assert.Contains((await cluster.Admin.GetAsync($"/api/v4/users/{id}/preferences")).Expect(200).Json.AsArray(), p => (string?)p!["value"] == "full_name");
    }

    /// <summary>A fresh id of Mattermost's shape that names nothing.</summary>
    internal static string NewId() => Guid.NewGuid().ToString("N")[..26];

    private static async Task Refused(Task<ApiResponse> request, int status, string? id, string what)
    {
        var response = await request;
        Assert.True(response.Status == status, $"{what}: {response}");
        if (id is not null)
        {
            Assert.True((string?)response.Json["id"] == id, $"{what}: {response}");
        }
    }
}
