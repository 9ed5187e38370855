using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Chat.IntegrationTests;

/// <summary>
/// Uploads through one api node read through the other, images with their thumbnails and previews, attachments to
/// posts, who may read what, and the limits: the same cases for each file driver, on a fixture of two api nodes and
/// <see cref="ClusterFixture.RestrictedNode"/> sharing one file store.
/// </summary>
public abstract class FilesTestsBase(TestClusterFixture cluster)
{
    private ServiceProcess Restricted => cluster.Cluster.Node(ClusterFixture.RestrictedNode);

    [Fact]
    public async Task Upload_through_one_node_and_read_through_the_other()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("P");
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("line of text\n", 50_000)));
        var png = TestFiles.Png(800, 600);
        var uploaded = (await alice.UploadAsync(channelId, ["client-0", "client-1"], ("notes.txt", text), ("picture.png", png))).Expect(201).Json;
        Assert.Equal(["client-0", "client-1"], uploaded["client_ids"]!.AsArray().Select(c => (string)c!).ToList());
        var infos = uploaded["file_infos"]!.AsArray();
        Assert.Equal(2, infos.Count);
        var (textInfo, pngInfo) = (infos[0]!, infos[1]!);
        Assert.Equal("notes.txt", (string?)textInfo["name"]);
        Assert.Equal("txt", (string?)textInfo["extension"]);
        Assert.Equal(text.Length, (long)textInfo["size"]!);
        Assert.Equal("text/plain", (string?)textInfo["mime_type"]);
        Assert.Equal(alice.UserId, (string?)textInfo["user_id"]);
        Assert.Equal(channelId, (string?)textInfo["channel_id"]);
        Assert.Equal("", (string?)textInfo["post_id"]);
        Assert.False((bool)textInfo["has_preview_image"]!);
        Assert.Null(textInfo["path"]);

        var onOther = bob.On(cluster.Api2.BaseUrl);
        var download = await onOther.DownloadAsync($"/api/v4/files/{textInfo.Id()}");
        Assert.Equal(200, download.Status);
        Assert.Equal(text, download.Body);
        Assert.Equal("nosniff", string.Join("", download.Response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("attachment", download.Response.Content.Headers.ContentDisposition?.DispositionType);

        // Ranges: a client resumes a large download.
        var range = await onOther.DownloadAsync($"/api/v4/files/{textInfo.Id()}", r => r.Headers.Range = new RangeHeaderValue(100, 199));
        Assert.Equal(206, range.Status);
        Assert.Equal(text[100..200], range.Body);

        // The image: its size, a thumbnail in Mattermost's 120x100 box (a wide image is 100 high), a preview, a mini preview.
        Assert.Equal("image/png", (string?)pngInfo["mime_type"]);
        Assert.Equal(800, (int)pngInfo["width"]!);
        Assert.Equal(600, (int)pngInfo["height"]!);
        Assert.True((bool)pngInfo["has_preview_image"]!);
        Assert.False(string.IsNullOrEmpty((string?)pngInfo["mini_preview"]));
        var original = await onOther.DownloadAsync($"/api/v4/files/{pngInfo.Id()}");
        Assert.Equal(png, original.Body);
        Assert.Equal("inline", original.Response.Content.Headers.ContentDisposition?.DispositionType);
        var thumbnail = await onOther.DownloadAsync($"/api/v4/files/{pngInfo.Id()}/thumbnail");
        Assert.Equal(200, thumbnail.Status);
        Assert.Equal((133, 100, "image/jpeg"), TestFiles.Identify(thumbnail.Body));
        var preview = await onOther.DownloadAsync($"/api/v4/files/{pngInfo.Id()}/preview");
        Assert.Equal((800, 600, "image/jpeg"), TestFiles.Identify(preview.Body));
        var info = (await onOther.GetAsync($"/api/v4/files/{pngInfo.Id()}/info")).Expect(200).Json;
        Assert.Equal(pngInfo.ToJsonString(), info.ToJsonString());

        // A text file has neither thumbnail nor preview.
        Assert.Equal("api.file.get_file_thumbnail.no_thumbnail.app_error", (string?)(await onOther.GetAsync($"/api/v4/files/{textInfo.Id()}/thumbnail")).Expect(400).Json["id"]);
        Assert.Equal("api.file.get_file_preview.no_preview.app_error", (string?)(await onOther.GetAsync($"/api/v4/files/{textInfo.Id()}/preview")).Expect(400).Json["id"]);
    }

    [Fact]
    public async Task A_JPEG_is_turned_upright_by_its_EXIF_orientation_and_a_large_one_previewed_at_1920()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync("O");
        var rotated = await alice.UploadOneAsync(channelId, "portrait.jpg", TestFiles.RotatedJpeg(300, 200));
        Assert.Equal("image/jpeg", (string?)rotated["mime_type"]);
        Assert.Equal((200, 300), ((int)rotated["width"]!, (int)rotated["height"]!));
        // A tall image fills the thumbnail box's width.
        var thumbnail = await alice.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/files/{rotated.Id()}/thumbnail");
        Assert.Equal((120, 180, "image/jpeg"), TestFiles.Identify(thumbnail.Body));

        var wide = await alice.UploadOneAsync(channelId, "wide.png", TestFiles.Png(2400, 600));
        var preview = await alice.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/files/{wide.Id()}/preview");
        Assert.Equal((1920, 480, "image/jpeg"), TestFiles.Identify(preview.Body));
    }

    [Fact]
    public async Task Raw_body_uploads_and_files_that_browsers_could_run_are_attachments()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var html = Encoding.UTF8.GetBytes("<html><script>alert(document.cookie)</script></html>");
        var raw = (await alice.UploadRawAsync(channelId, "page.html", new ByteArrayContent(html))).Expect(201).Json;
        var info = raw["file_infos"]![0]!;
        Assert.Equal("text/html", (string?)info["mime_type"]);
        Assert.Empty(raw["client_ids"]!.AsArray());
        foreach (var name in new[] { "drawing.svg", "script.js" })
        {
            var other = await alice.UploadOneAsync(channelId, name, Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>1</script></svg>"));
            var served = await bob.DownloadAsync($"/api/v4/files/{other.Id()}");
            Assert.Equal("attachment", served.Response.Content.Headers.ContentDisposition?.DispositionType);
        }
        var page = await bob.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/files/{info.Id()}");
        Assert.Equal(200, page.Status);
        Assert.Equal(html, page.Body);
        Assert.Equal("attachment", page.Response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("page.html", page.Response.Content.Headers.ContentDisposition?.FileNameStar ?? page.Response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("nosniff", string.Join("", page.Response.Headers.GetValues("X-Content-Type-Options")));

        // Missing or bad parameters are 400s.
        (await alice.UploadRawAsync(channelId, "", new ByteArrayContent(html))).Expect(400);
        (await alice.UploadRawAsync("nope", "a.txt", new ByteArrayContent(html))).Expect(400);
        (await alice.UploadRawAsync(channelId, "..", new ByteArrayContent(html))).Expect(400);
        (await alice.UploadRawAsync(channelId, "empty.txt", new ByteArrayContent([]))).Expect(400);
        var noChannel = new MultipartFormDataContent { { new ByteArrayContent(html), "files", "a.txt" } };
        (await alice.SendAsync(HttpMethod.Post, "/api/v4/files", noChannel)).Expect(400);
        var mismatched = new MultipartFormDataContent { { new StringContent(channelId), "channel_id" }, { new StringContent("only-one"), "client_ids" } };
        mismatched.Add(new ByteArrayContent(html), "files", "a.txt");
        mismatched.Add(new ByteArrayContent(html), "files", "b.txt");
        Assert.Equal("api.file.upload_file.incorrect_number_of_client_ids.app_error", (string?)(await alice.SendAsync(HttpMethod.Post, "/api/v4/files", mismatched)).Expect(400).Json["id"]);
    }

    [Fact]
    public async Task A_file_before_channel_id_in_the_form_is_still_stored()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync("O");
        var bytes = Encoding.UTF8.GetBytes("first in the form");
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(bytes), "files", "early.txt");
        form.Add(new StringContent(channelId), "channel_id");
        var info = (await alice.SendAsync(HttpMethod.Post, "/api/v4/files", form)).Expect(201).Json["file_infos"]![0]!;
        Assert.Equal(bytes, (await alice.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/files/{info.Id()}")).Body);
    }

    [Fact]
    public async Task Posts_attach_only_their_authors_unattached_uploads_and_deleting_the_post_deletes_its_files()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("O");
        var mine = await alice.UploadOneAsync(channelId, "mine.png", TestFiles.Png(64, 48));
        var second = await alice.UploadOneAsync(channelId, "second.txt", "two"u8.ToArray());
        var bobs = await bob.UploadOneAsync(channelId, "bobs.txt", "bob's"u8.ToArray());
        var otherChannel = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        var elsewhere = await alice.UploadOneAsync(otherChannel, "elsewhere.txt", "x"u8.ToArray());

        var post = (await alice.PostAsync("/api/v4/posts", new
        {
            ChannelId = channelId,
            Message = "",
            FileIds = new[] { mine.Id(), bobs.Id(), elsewhere.Id(), second.Id() },
        })).Expect(201).Json;
        Assert.Equal([mine.Id(), second.Id()], post["file_ids"]!.AsArray().Select(f => (string)f!).ToList());
        Assert.Equal([mine.Id(), second.Id()], post["metadata"]!["files"]!.AsArray().Select(f => f.Id()).ToList());
        Assert.Equal(post.Id(), (string?)post["metadata"]!["files"]![0]!["post_id"]);

        // Read back on the other node: the post, its channel's page and the post's files.
        var viaOther = bob.On(cluster.Api2.BaseUrl);
        var read = (await viaOther.GetAsync($"/api/v4/posts/{post.Id()}")).Expect(200).Json;
        Assert.Equal(2, read["metadata"]!["files"]!.AsArray().Count);
        var page = (await viaOther.GetAsync($"/api/v4/channels/{channelId}/posts")).Expect(200).Json;
        Assert.Equal(2, page["posts"]![post.Id()]!["metadata"]!["files"]!.AsArray().Count);
        var forPost = (await viaOther.GetAsync($"/api/v4/posts/{post.Id()}/files/info")).Expect(200).Json.AsArray();
        Assert.Equal([mine.Id(), second.Id()], forPost.Select(f => f.Id()).ToList());
        Assert.Equal(post.Id(), (string?)(await viaOther.GetAsync($"/api/v4/files/{mine.Id()}/info")).Expect(200).Json["post_id"]);

        // An attached file cannot go to a second post; a post without text or files is refused.
        var again = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "again", FileIds = new[] { mine.Id() } })).Expect(201).Json;
        Assert.Null(again["file_ids"]);
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "", FileIds = new[] { bobs.Id() } })).Expect(400);
        (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "x", FileIds = Enumerable.Range(0, 11).Select(_ => mine.Id()).ToArray() })).Expect(400);

        (await alice.DeleteAsync($"/api/v4/posts/{post.Id()}")).Expect(200);
        (await viaOther.GetAsync($"/api/v4/files/{mine.Id()}")).Expect(404);
        (await alice.GetAsync($"/api/v4/files/{mine.Id()}/info")).Expect(404);
        (await viaOther.GetAsync($"/api/v4/files/{mine.Id()}/thumbnail")).Expect(404);
        Assert.Empty((await cluster.Admin.GetAsync($"/api/v4/posts/{post.Id()}/files/info")).Expect(200).Json.AsArray());
        Assert.Equal(2, (await cluster.Admin.GetAsync($"/api/v4/posts/{post.Id()}/files/info?include_deleted=true")).Expect(200).Json.AsArray().Count);
    }

    [Fact]
    public async Task Only_channel_members_and_the_uploader_read_files_and_only_members_upload()
    {
        var (alice, bob, channelId) = await ChannelWithTwoMembersAsync("P");
        var teamId = (string)(await alice.GetAsync($"/api/v4/channels/{channelId}")).Expect(200).Json["team_id"]!;
        var carol = await cluster.NewUserAsync(cluster.Api2, "carol");
        await alice.AddToTeamAsync(teamId, carol);
        var info = await alice.UploadOneAsync(channelId, "secret.png", TestFiles.Png(20, 20));
        foreach (var path in new[] { "", "/info", "/thumbnail", "/preview" })
        {
            (await carol.GetAsync($"/api/v4/files/{info.Id()}{path}")).Expect(403);
            (await cluster.Anonymous(cluster.Api1).GetAsync($"/api/v4/files/{info.Id()}{path}")).Expect(401);
            (await bob.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/files/{info.Id()}{path}")).Response.EnsureSuccessStatusCode();
        }
        (await carol.UploadAsync(channelId, ("x.txt", "x"u8.ToArray()))).Expect(403);
        (await carol.UploadRawAsync(channelId, "x.txt", new ByteArrayContent("x"u8.ToArray()))).Expect(403);
        (await carol.GetAsync("/api/v4/files/not-an-id")).Expect(400);

        // Bob may not attach Alice's upload.
        var post = (await bob.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "steal", FileIds = new[] { info.Id() } })).Expect(201).Json;
        Assert.Null(post["file_ids"]);
        (await carol.GetAsync($"/api/v4/posts/{post.Id()}/files/info")).Expect(403);
    }

    [Fact]
    public async Task Over_the_limit_uploads_get_413_and_huge_images_400_and_the_node_stays_healthy()
    {
        var node = Restricted;
        var alice = (await cluster.NewUserAsync()).On(node.BaseUrl);
        var channelId = await alice.CreateChannelAsync(await alice.CreateTeamAsync());
        var big = new byte[ClusterFixture.RestrictedMaxFileSize + 1];
        Random.Shared.NextBytes(big);

        var multipart = (await alice.UploadAsync(channelId, ("big.bin", big))).Expect(413).Json;
        Assert.Equal("api.file.upload_file.too_large_detailed.app_error", (string?)multipart["id"]);
        (await alice.UploadRawAsync(channelId, "big.bin", new ByteArrayContent(big))).Expect(413);
        // Sent without a length, the body is measured as it streams.
        var chunked = new StreamContent(new MemoryStream(big));
        var streamed = await alice.SendAsync(HttpMethod.Post, $"/api/v4/files?channel_id={channelId}&filename=big.bin", chunked, r => r.Headers.TransferEncodingChunked = true);
        Assert.Equal(413, streamed.Status);

        var bomb = (await alice.UploadAsync(channelId, ("bomb.png", TestFiles.PngBomb(50_000, 50_000)))).Expect(400).Json;
        Assert.Equal("api.file.upload_file.large_image_detailed.app_error", (string?)bomb["id"]);

        // Exactly the limit is fine, and the node answers as before.
        var exact = await alice.UploadOneAsync(channelId, "exact.bin", big[..ClusterFixture.RestrictedMaxFileSize]);
        Assert.Equal(ClusterFixture.RestrictedMaxFileSize, (long)exact["size"]!);
        (await alice.GetAsync("/api/v4/system/ping")).Expect(200);
        var full = (await cluster.Admin.On(node.BaseUrl).GetAsync("/api/v4/system/ping?get_server_status=true")).Expect(200).Json;
        Assert.Equal("OK", (string?)full["filestore_status"]);
    }

    [Fact]
    public async Task Public_links_are_off_by_default()
    {
        var (alice, _, channelId) = await ChannelWithTwoMembersAsync("O");
        var info = await alice.UploadOneAsync(channelId, "a.txt", "a"u8.ToArray());
        Assert.Equal("api.file.get_public_link.disabled.app_error", (string?)(await alice.GetAsync($"/api/v4/files/{info.Id()}/link")).Expect(403).Json["id"]);
        (await cluster.Anonymous(cluster.Api1).GetAsync($"/files/{info.Id()}/public?h=abc")).Expect(403);
    }

    [Fact]
    public async Task Profile_images_default_to_a_generated_one_and_follow_uploads_and_resets_on_every_node()
    {
        var (alice, bob, _) = await ChannelWithTwoMembersAsync("O");
        var first = await bob.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/users/{alice.UserId}/image");
        Assert.Equal(200, first.Status);
        Assert.Equal((128, 128, "image/png"), TestFiles.Identify(first.Body));
        var etag = first.Response.Headers.ETag;
        Assert.NotNull(etag);
        var again = await bob.DownloadAsync($"/api/v4/users/{alice.UserId}/image", r => r.Headers.IfNoneMatch.Add(etag));
        Assert.Equal(304, again.Status);
        // Everyone's default differs.
        Assert.NotEqual(first.Body, (await bob.DownloadAsync($"/api/v4/users/{bob.UserId}/image")).Body);

        var form = new MultipartFormDataContent { { new ByteArrayContent(TestFiles.RotatedJpeg(400, 200)), "image", "me.jpg" } };
        Assert.Equal("OK", (string?)(await alice.SendAsync(HttpMethod.Post, $"/api/v4/users/{alice.UserId}/image", form)).Expect(200).Json["status"]);
        var me = (await alice.GetAsync("/api/v4/users/me")).Expect(200).Json;
        Assert.True((long)me["last_picture_update"]! > 0);
        var custom = await bob.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/users/{alice.UserId}/image");
        Assert.Equal((128, 128, "image/png"), TestFiles.Identify(custom.Body));
        Assert.NotEqual(first.Body, custom.Body);
        Assert.NotEqual(etag, custom.Response.Headers.ETag);

        // Nobody else may change it; a file that is no image is refused.
        var other = new MultipartFormDataContent { { new ByteArrayContent(TestFiles.Png(10, 10)), "image", "x.png" } };
        (await bob.SendAsync(HttpMethod.Post, $"/api/v4/users/{alice.UserId}/image", other)).Expect(403);
        (await bob.DeleteAsync($"/api/v4/users/{alice.UserId}/image")).Expect(403);
        var junk = new MultipartFormDataContent { { new ByteArrayContent("not an image"u8.ToArray()), "image", "x.png" } };
        Assert.Equal("api.user.upload_profile_user.decode.app_error", (string?)(await alice.SendAsync(HttpMethod.Post, $"/api/v4/users/{alice.UserId}/image", junk)).Expect(400).Json["id"]);
        var none = new MultipartFormDataContent { { new StringContent("x"), "other" } };
        (await alice.SendAsync(HttpMethod.Post, $"/api/v4/users/{alice.UserId}/image", none)).Expect(400);

        (await alice.DeleteAsync($"/api/v4/users/{alice.UserId}/image")).Expect(200);
        var reset = await bob.On(cluster.Api2.BaseUrl).DownloadAsync($"/api/v4/users/{alice.UserId}/image");
        Assert.Equal(first.Body, reset.Body);
        Assert.True((long)(await alice.GetAsync("/api/v4/users/me")).Expect(200).Json["last_picture_update"]! < 0);
        (await cluster.Anonymous(cluster.Api1).GetAsync($"/api/v4/users/{alice.UserId}/image")).Expect(401);
    }

    [Fact]
    public async Task Edits_replace_a_posts_files_and_stats_and_search_show_them()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var bob = await cluster.NewUserAsync(cluster.Api2, "bob");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId, "O");
        await alice.AddToChannelAsync(channelId, bob);
        var first = await alice.UploadOneAsync(channelId, "first.txt", "one"u8.ToArray());
        var second = await alice.UploadOneAsync(channelId, "second.txt", "two"u8.ToArray());
        var bobs = await bob.UploadOneAsync(channelId, "bobs.txt", "bob's"u8.ToArray());
        var word = "attached" + Unique.Suffix();
        var postId = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = $"files {word}", FileIds = new[] { first.Id() } })).Expect(201).Json.Id();
        Assert.Equal(1, (long)(await bob.GetAsync($"/api/v4/channels/{channelId}/stats")).Expect(200).Json["files_count"]!);
        Assert.Equal(-1, (long)(await bob.GetAsync($"/api/v4/channels/{channelId}/stats?exclude_files_count=true")).Expect(200).Json["files_count"]!);

        // Search results carry metadata.files like every other post list.
        var found = (await bob.PostAsync($"/api/v4/teams/{teamId}/posts/search", new { Terms = word })).Expect(200).Json["posts"]![postId]!;
        Assert.Equal([first.Id()], found["metadata"]!["files"]!.Ids());

        // The edit keeps the first file, adds the second, and drops someone else's upload, as Mattermost's attach does.
        var edited = (await alice.On(cluster.Api2.BaseUrl).PutAsync($"/api/v4/posts/{postId}/patch", new { FileIds = new[] { first.Id(), second.Id(), bobs.Id() } })).Expect(200).Json;
        Assert.Equal([first.Id(), second.Id()], edited["file_ids"]!.AsArray().Select(f => (string)f!).ToList());
        Assert.Equal([first.Id(), second.Id()], edited["metadata"]!["files"]!.Ids());
        Assert.True((long)edited["edit_at"]! > 0);
        Assert.Equal($"files {word}", (string?)edited["message"]);
        Assert.Equal(2, (long)(await bob.GetAsync($"/api/v4/channels/{channelId}/stats")).Expect(200).Json["files_count"]!);
        Assert.Equal("", (string?)(await bob.GetAsync($"/api/v4/files/{bobs.Id()}/info")).Expect(200).Json["post_id"]);

        // Removing a file deletes it with the edit; a post left with neither message nor files is refused.
        var trimmed = (await alice.PutAsync($"/api/v4/posts/{postId}/patch", new { FileIds = new[] { second.Id() } })).Expect(200).Json;
        Assert.Equal([second.Id()], trimmed["metadata"]!["files"]!.Ids());
        (await bob.GetAsync($"/api/v4/files/{first.Id()}")).Expect(404);
        Assert.Equal([second.Id()], (await bob.GetAsync($"/api/v4/posts/{postId}/files/info")).Expect(200).Json.Ids());
        Assert.Equal(1, (long)(await bob.GetAsync($"/api/v4/channels/{channelId}/stats")).Expect(200).Json["files_count"]!);
        Assert.Equal("model.post.is_valid.msg.app_error",
            (string?)(await alice.PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "", FileIds = Array.Empty<string>() })).Expect(400).Json["id"]);
        (await alice.PutAsync($"/api/v4/posts/{postId}/patch", new { FileIds = new[] { "not-an-id" } })).Expect(400);
        (await bob.PutAsync($"/api/v4/posts/{postId}/patch", new { FileIds = Array.Empty<string>() })).Expect(403);
    }

    private async Task<(ApiClient Alice, ApiClient Bob, string ChannelId)> ChannelWithTwoMembersAsync(string type)
    {
        var alice = await cluster.NewUserAsync(cluster.Api1, "alice");
        var bob = await cluster.NewUserAsync(cluster.Api2, "bob");
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId, type);
        await alice.AddToChannelAsync(channelId, bob);
        return (alice, bob, channelId);
    }
}

/// <summary><see cref="FilesTestsBase"/> on the local driver: a directory the nodes share.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FilesTests(ClusterFixture cluster) : FilesTestsBase(cluster);
