using System.Text.Json.Nodes;
using Chat.Testing;

namespace Chat.IntegrationTests;

/// <summary>Preference changes reach the user's WebSocket on any realtime node.</summary>
[Collection(RealtimeCollection.Name)]
public sealed class PreferenceEventsTests(RealtimeFixture cluster) : IAsyncLifetime
{
    public Task InitializeAsync() => cluster.EnsureRunningAsync(cluster.Realtime2);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_preference_saved_through_api_1_reaches_the_users_socket_on_realtime_2()
    {
        var user = await cluster.NewUserAsync(cluster.Api1);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, user.Token);
        await socket.WaitForAsync("hello");
        var name = RolesAndPreferencesTests.NewId();
        (await user.PutAsync("/api/v4/users/me/preferences", new[] { new { user.UserId, Category = "group_channel_show", Name = name, Value = "true" } })).Expect(200);

        var changed = await socket.WaitForAsync("preferences_changed");
        Assert.Equal(user.UserId, (string?)changed["broadcast"]!["user_id"]);
        var preference = JsonNode.Parse((string)changed["data"]!["preferences"]!)![0]!;
        Assert.Equal(name, (string?)preference["name"]);
        Assert.Equal("group_channel_show", (string?)preference["category"]);
        Assert.Equal("true", (string?)preference["value"]);
    }
}
