using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Chat.Testing;

namespace Chat.IntegrationTests;

/// <summary>
/// Custom emoji created through one api node, their images read through the other and their emoji_added event on a
/// realtime node; Mattermost's checks on names, creators and images; who may delete them.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class CustomEmojiTests(RealtimeFixture cluster) : IAsyncLifetime
{
    public Task InitializeAsync() => cluster.EnsureRunningAsync(cluster.Realtime2);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_emoji_is_created_on_one_node_announced_everywhere_and_its_image_served_by_the_other()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token);
        await socket.WaitForAsync("hello");

        var name = "party-" + Unique.Suffix();
        var small = TestFiles.Png(20, 30);
        var created = (await CreateAsync(alice, name, small)).Expect(200).Json;
        Assert.Equal(name, (string?)created["name"]);
        Assert.Equal(alice.UserId, (string?)created["creator_id"]);
        Assert.Equal(0, (long)created["delete_at"]!);
        var id = created.Id();

        var added = await socket.WaitForAsync("emoji_added", e => JsonNode.Parse((string)e["data"]!["emoji"]!)!["id"]!.ToString() == id);
        Assert.Equal(name, (string?)JsonNode.Parse((string)added["data"]!["emoji"]!)!["name"]);

        var onOther = bob.On(cluster.Api2.BaseUrl);
        Assert.Equal(name, (string?)(await onOther.GetAsync($"/api/v4/emoji/name/{name}")).Expect(200).Json["name"]);
        var image = await onOther.DownloadAsync($"/api/v4/emoji/{id}/image");
        Assert.Equal(200, image.Status);
        Assert.Equal(small, image.Body);
        Assert.Equal("image/png", image.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", string.Join("", image.Response.Headers.GetValues("X-Content-Type-Options")));

        // A larger image is scaled to fit 128x128; a JPEG is accepted too.
        var large = (await CreateAsync(alice, "big-" + Unique.Suffix(), TestFiles.Png(512, 256))).Expect(200).Json;
        Assert.Equal((128, 64, "image/png"), TestFiles.Identify((await onOther.DownloadAsync($"/api/v4/emoji/{large.Id()}/image")).Body));
        var jpeg = (await CreateAsync(alice, "photo-" + Unique.Suffix(), TestFiles.RotatedJpeg(40, 20), "photo.jpg")).Expect(200).Json;
        Assert.Equal("image/jpeg", (await onOther.DownloadAsync($"/api/v4/emoji/{jpeg.Id()}/image")).Response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Names_creators_images_and_sizes_are_checked_as_Mattermost_does()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var name = "dup-" + Unique.Suffix();
        (await CreateAsync(alice, name, TestFiles.Png(16, 16))).Expect(200);

        Assert.Equal("api.emoji.create.duplicate.app_error", Id(await CreateAsync(alice, name, TestFiles.Png(16, 16)), 400));
        Assert.Equal("model.emoji.name.app_error", Id(await CreateAsync(alice, "smile", TestFiles.Png(16, 16)), 400));
        Assert.Equal("model.emoji.name.app_error", Id(await CreateAsync(alice, "has space", TestFiles.Png(16, 16)), 400));
        Assert.Equal("model.emoji.name.app_error", Id(await CreateAsync(alice, "plus+one", TestFiles.Png(16, 16)), 400));
        Assert.Equal("model.emoji.name.app_error", Id(await CreateAsync(alice, new string('a', 65), TestFiles.Png(16, 16)), 400));
        Assert.Equal("api.emoji.create.other_user.app_error",
            Id(await CreateAsync(alice, "x" + Unique.Suffix(), TestFiles.Png(16, 16), creatorId: RolesAndPreferencesTests.NewId()), 403));
        Assert.Equal("api.emoji.upload.image.app_error", Id(await CreateAsync(alice, "x" + Unique.Suffix(), "<svg/>"u8.ToArray(), "x.svg"), 400));
        Assert.Equal("api.emoji.upload.large_image.too_large.app_error", Id(await CreateAsync(alice, "x" + Unique.Suffix(), TestFiles.Png(1100, 10)), 400));
        Assert.Equal(413, (await CreateAsync(alice, "x" + Unique.Suffix(), new byte[(1 << 20) + 1])).Status);

        var noImage = new MultipartFormDataContent { { new StringContent($$"""{"name":"x{{Unique.Suffix()}}","creator_id":"{{alice.UserId}}"}"""), "emoji" } };
        Assert.Equal("api.context.invalid_body_param.app_error", Id(await alice.SendAsync(HttpMethod.Post, "/api/v4/emoji", noImage), 400));
        var badJson = new MultipartFormDataContent { { new ByteArrayContent(TestFiles.Png(16, 16)), "image", "x.png" }, { new StringContent("{not json"), "emoji" } };
        Assert.Equal("api.context.invalid_param.app_error", Id(await alice.SendAsync(HttpMethod.Post, "/api/v4/emoji", badJson), 400));
        Assert.Equal("api.emoji.create.parse.app_error", Id(await alice.PostAsync("/api/v4/emoji", new { Name = "x" }), 400));
        (await cluster.Anonymous(cluster.Api1).SendAsync(HttpMethod.Post, "/api/v4/emoji", new MultipartFormDataContent())).Expect(401);
    }

    [Fact]
    public async Task Creators_delete_their_own_and_only_admins_delete_others()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var name = "gone-" + Unique.Suffix();
        var id = (await CreateAsync(alice, name, TestFiles.Png(16, 16))).Expect(200).Json.Id();

        Assert.Equal("api.context.permissions.app_error", Id(await bob.DeleteAsync($"/api/v4/emoji/{id}"), 403));
        Assert.Equal("OK", (string?)(await alice.On(cluster.Api2.BaseUrl).DeleteAsync($"/api/v4/emoji/{id}")).Expect(200).Json["status"]);
        Assert.Equal("app.emoji.get.no_result", Id(await alice.GetAsync($"/api/v4/emoji/{id}"), 404));
        (await alice.GetAsync($"/api/v4/emoji/{id}/image")).Expect(404);
        (await alice.DeleteAsync($"/api/v4/emoji/{id}")).Expect(404);

        // The name is free again; an admin may delete anyone's.
        var again = (await CreateAsync(bob, name, TestFiles.Png(16, 16))).Expect(200).Json.Id();
        (await cluster.Admin.DeleteAsync($"/api/v4/emoji/{again}")).Expect(200);
        (await alice.DeleteAsync($"/api/v4/emoji/{RolesAndPreferencesTests.NewId()}")).Expect(404);
        (await alice.DeleteAsync("/api/v4/emoji/not-an-id")).Expect(400);
    }

    [Fact]
    public async Task A_profile_picture_change_on_one_node_reaches_sockets_on_the_other_as_user_updated()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        await using var socket = await MattermostSocket.ConnectAsync(cluster.Realtime2.BaseUrl, bob.Token);
        await socket.WaitForAsync("hello");

        var form = new MultipartFormDataContent { { new ByteArrayContent(TestFiles.Png(64, 64)), "image", "me.png" } };
        (await alice.SendAsync(HttpMethod.Post, $"/api/v4/users/{alice.UserId}/image", form)).Expect(200);
        var updated = await socket.WaitForAsync("user_updated", e => (string?)e["data"]!["user"]!["id"] == alice.UserId);
        var at = (long)updated["data"]!["user"]!["last_picture_update"]!;
        Assert.True(at > 0);
        Assert.Null(updated["data"]!["user"]!["password"]);
        // The other api node serves the new picture under the etag the event announced.
        var image = await bob.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/users/{alice.UserId}/image?_={at}");
        Assert.Equal($"\"{alice.UserId}.{at}\"", image.Response.Headers.ETag?.Tag);

        (await alice.On(cluster.Api2.BaseUrl).DeleteAsync($"/api/v4/users/{alice.UserId}/image")).Expect(200);
        var reset = await socket.WaitForAsync("user_updated", e => (string?)e["data"]!["user"]!["id"] == alice.UserId && (long)e["data"]!["user"]!["last_picture_update"]! < 0);
        Assert.NotNull(reset);
    }

    /// <summary>Client4.createCustomEmoji's request: the image under "image", then the emoji's JSON under "emoji".</summary>
    internal static Task<ApiResponse> CreateAsync(ApiClient client, string name, byte[] image, string fileName = "emoji.png", string? creatorId = null) =>
        client.SendAsync(HttpMethod.Post, "/api/v4/emoji", Form(name, creatorId ?? client.UserId, image, fileName));

    internal static MultipartFormDataContent Form(string name, string? creatorId, byte[] image, string fileName = "emoji.png")
    {
        var part = new ByteArrayContent(image);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent
        {
            { part, "image", fileName },
            { new StringContent(new JsonObject { ["name"] = name, ["creator_id"] = creatorId }.ToJsonString()), "emoji" },
        };
    }

    private static string? Id(ApiResponse response, int status) => (string?)response.Expect(status).Json["id"];
}
