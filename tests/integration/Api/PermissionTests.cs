using System.Text;
using Microsoft.AspNetCore.Routing;

namespace Chat.IntegrationTests;

/// <summary>
/// Every endpoint as every kind of caller: anonymous, an outsider (signed in, not in the team), a teammate
/// (in the team, not in the private channel), a member (in the team and the private channel, not its admin)
/// and a system admin who belongs to nothing. All cells run, and every wrong one is reported together. The api's
/// real route table is read too: a mapped route that no row calls fails the test, so a new endpoint needs its row.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PermissionTests(ClusterFixture cluster)
{
    private enum Role { Anonymous, Outsider, Teammate, Member, Admin }

    /// <summary>A request, with the set-up it needs done first (by the owner), so every cell starts from the same state.</summary>
    private sealed record Request(HttpMethod Method, string Path, object? Body = null);

    /// <summary>Expected statuses in <see cref="Role"/> order; <see cref="Cleanup"/> undoes what a successful cell changed.</summary>
    private sealed record Case(string Name, Func<World, Role, Task<Request>> Prepare, int[] Expected, Func<World, Role, Task>? Cleanup = null)
    {
        public Case(string name, Func<World, Request> request, params int[] expected)
            : this(name, (w, _) => Task.FromResult(request(w)), expected)
        {
        }
    }

    private sealed class World
    {
        public required ApiClient Owner { get; init; }
        public required Dictionary<Role, ApiClient> Callers { get; init; }
        public required ApiClient Candidate { get; init; }
        public required string TeamId { get; init; }
        public required string PrivateId { get; init; }
        public required string PublicId { get; init; }
        public required string LobbyId { get; init; }
        public required string OwnerPostId { get; init; }
        /// <summary>An image of the owner's, attached to <see cref="OwnerPostId"/>.</summary>
        public required string OwnerFileId { get; init; }
        public ApiClient Member => Callers[Role.Member];
        public string UserId(Role role) => Callers[role].UserId ?? Owner.UserId!;
    }

    private static readonly Case[] Cases =
    [
        new("GET /users/me", _ => new(HttpMethod.Get, "/api/v4/users/me"), 401, 200, 200, 200, 200),
        new("GET /users/{id}", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}"), 401, 200, 200, 200, 200),
        new("GET /users", _ => new(HttpMethod.Get, "/api/v4/users?per_page=5"), 401, 200, 200, 200, 200),
        new("POST /users/ids", w => new(HttpMethod.Post, "/api/v4/users/ids", new[] { w.Owner.UserId }), 401, 200, 200, 200, 200),
        new("POST /users/usernames", w => new(HttpMethod.Post, "/api/v4/users/usernames", new[] { w.Owner.Username }), 401, 200, 200, 200, 200),
        new("GET /users/username/{name}", w => new(HttpMethod.Get, $"/api/v4/users/username/{w.Owner.Username}"), 401, 200, 200, 200, 200),
        new("POST /users/logout", _ => new(HttpMethod.Post, "/api/v4/users/logout"), 401, 200, 200, 200, 200),
        new("GET /users/me/teams", _ => new(HttpMethod.Get, "/api/v4/users/me/teams"), 401, 200, 200, 200, 200),
        new("POST /teams", _ => new(HttpMethod.Post, "/api/v4/teams", new { Name = Unique.TeamName(), DisplayName = "New" }), 401, 201, 201, 201, 201),
        new("GET /teams/{id} (invite only)", w => new(HttpMethod.Get, $"/api/v4/teams/{w.TeamId}"), 401, 403, 200, 200, 200),
        new("GET /teams/{id}/members", w => new(HttpMethod.Get, $"/api/v4/teams/{w.TeamId}/members"), 401, 403, 200, 200, 200),
        new("POST /teams/{id}/members (someone else)", async (w, _) =>
        {
            await w.Owner.DeleteAsync($"/api/v4/teams/{w.TeamId}/members/{w.Candidate.UserId}");
            return new(HttpMethod.Post, $"/api/v4/teams/{w.TeamId}/members", new { TeamId = w.TeamId, w.Candidate.UserId });
        }, [401, 403, 201, 201, 201]),
        new("POST /teams/{id}/members (self, invite only)",
            (w, role) => Task.FromResult(new Request(HttpMethod.Post, $"/api/v4/teams/{w.TeamId}/members", new { TeamId = w.TeamId, UserId = w.UserId(role) })),
            [401, 403, 403, 403, 201],
            (w, role) => role == Role.Admin ? w.Owner.DeleteAsync($"/api/v4/teams/{w.TeamId}/members/{w.UserId(role)}") : Task.CompletedTask),
        new("DELETE /teams/{id}/members/{other}", async (w, _) =>
        {
            await w.Owner.AddToTeamAsync(w.TeamId, w.Candidate);
            return new(HttpMethod.Delete, $"/api/v4/teams/{w.TeamId}/members/{w.Candidate.UserId}");
        }, [401, 403, 403, 403, 200]),
        new("GET /users/me/teams/{id}/channels", w => new(HttpMethod.Get, $"/api/v4/users/me/teams/{w.TeamId}/channels"), 401, 403, 200, 200, 200),
        new("POST /channels (private)", w => new(HttpMethod.Post, "/api/v4/channels", new { w.TeamId, Name = Unique.ChannelName(), DisplayName = "New", Type = "P" }), 401, 403, 201, 201, 201),
        new("POST /channels/direct (with self)", (w, role) => Task.FromResult(new Request(HttpMethod.Post, "/api/v4/channels/direct", new[] { w.UserId(role), w.Owner.UserId })), [401, 201, 201, 201, 201]),
        new("POST /channels/direct (two others)", w => new(HttpMethod.Post, "/api/v4/channels/direct", new[] { w.Owner.UserId, w.Candidate.UserId }), 401, 403, 403, 403, 201),
        new("GET /channels/{private}", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}"), 401, 403, 403, 200, 200),
        new("GET /channels/{public}", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PublicId}"), 401, 403, 200, 200, 200),
        new("GET /channels/{private}/members", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/members"), 401, 403, 403, 200, 200),
        new("GET /channels/{public}/members", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PublicId}/members"), 401, 403, 200, 200, 200),
        new("POST /channels/{private}/members (someone else)", async (w, _) =>
        {
            await w.Owner.AddToTeamAsync(w.TeamId, w.Candidate);
            await w.Owner.DeleteAsync($"/api/v4/channels/{w.PrivateId}/members/{w.Candidate.UserId}");
            return new(HttpMethod.Post, $"/api/v4/channels/{w.PrivateId}/members", new { w.Candidate.UserId });
        }, [401, 403, 403, 201, 201]),
        new("POST /channels/{private}/members (self)", (w, role) => Task.FromResult(new Request(HttpMethod.Post, $"/api/v4/channels/{w.PrivateId}/members", new { UserId = w.UserId(role) })), [401, 403, 403, 201, 400]),
        new("POST /channels/{public}/members (self)",
            (w, role) => Task.FromResult(new Request(HttpMethod.Post, $"/api/v4/channels/{w.LobbyId}/members", new { UserId = w.UserId(role) })),
            [401, 403, 201, 201, 400],
            (w, role) => w.Owner.DeleteAsync($"/api/v4/channels/{w.LobbyId}/members/{w.UserId(role)}")),
        new("DELETE /channels/{private}/members/{other}", async (w, _) =>
        {
            await w.Owner.AddToTeamAsync(w.TeamId, w.Candidate);
            await w.Owner.AddToChannelAsync(w.PrivateId, w.Candidate);
            return new(HttpMethod.Delete, $"/api/v4/channels/{w.PrivateId}/members/{w.Candidate.UserId}");
        }, [401, 403, 403, 403, 200]),
        new("PUT /channels/{private}/patch", w => new(HttpMethod.Put, $"/api/v4/channels/{w.PrivateId}/patch", new { Header = "new header" }), 401, 403, 403, 200, 200),
        new("PUT /users/me/patch", _ => new(HttpMethod.Put, "/api/v4/users/me/patch", new { Nickname = "nick" }), 401, 200, 200, 200, 200),
        new("PUT /users/{other}/patch", w => new(HttpMethod.Put, $"/api/v4/users/{w.Owner.UserId}/patch", new { Nickname = "nick" }), 401, 403, 403, 403, 200),
        // The same password again, so no later cell's login is affected.
        new("PUT /users/me/password", _ => new(HttpMethod.Put, "/api/v4/users/me/password", new { CurrentPassword = ApiClient.DefaultPassword, NewPassword = ApiClient.DefaultPassword }), 401, 200, 200, 200, 200),
        new("PUT /users/{other}/password", w => new(HttpMethod.Put, $"/api/v4/users/{w.Owner.UserId}/password", new { NewPassword = ApiClient.DefaultPassword }), 401, 403, 403, 403, 200),
        new("GET /users/me/sessions", _ => new(HttpMethod.Get, "/api/v4/users/me/sessions"), 401, 200, 200, 200, 200),
        new("GET /users/{other}/sessions", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/sessions"), 401, 403, 403, 403, 200),
        // A second session of the caller's (the owner's for the anonymous caller), so the caller's own keeps working.
        new("POST /users/me/sessions/revoke (own)", async (w, role) =>
            new(HttpMethod.Post, "/api/v4/users/me/sessions/revoke", new { SessionId = await SecondSessionAsync(w.Callers[role].Username is null ? w.Owner : w.Callers[role]) }),
            [401, 200, 200, 200, 200]),
        new("POST /users/{other}/sessions/revoke", async (w, _) =>
            new(HttpMethod.Post, $"/api/v4/users/{w.Owner.UserId}/sessions/revoke", new { SessionId = await SecondSessionAsync(w.Owner) }),
            [401, 403, 403, 403, 200]),
        new("POST /users/{other}/sessions/revoke/all", async (w, _) =>
            new(HttpMethod.Post, $"/api/v4/users/{(await ApiClient.NewUserAsync(w.Owner.Http, w.Owner.BaseUrl)).UserId}/sessions/revoke/all"),
            [401, 403, 403, 403, 200]),
        new("POST /posts (private)", w => new(HttpMethod.Post, "/api/v4/posts", new { ChannelId = w.PrivateId, Message = "hello" }), 401, 403, 403, 201, 201),
        new("POST /posts (public, not joined)", w => new(HttpMethod.Post, "/api/v4/posts", new { ChannelId = w.LobbyId, Message = "hello" }), 401, 403, 403, 403, 201),
        new("GET /posts/{id} (private)", w => new(HttpMethod.Get, $"/api/v4/posts/{w.OwnerPostId}"), 401, 403, 403, 200, 200),
        new("PUT /posts/{id}/patch (own)", async (w, _) =>
        {
            var post = await w.Member.CreatePostAsync(w.PrivateId, "mine");
            return new(HttpMethod.Put, $"/api/v4/posts/{post.Id()}/patch", new { Message = "edited" });
        }, [401, 403, 403, 200, 200]),
        new("PUT /posts/{id}/patch (someone else's)", w => new(HttpMethod.Put, $"/api/v4/posts/{w.OwnerPostId}/patch", new { Message = "edited" }), 401, 403, 403, 403, 200),
        new("DELETE /posts/{id} (own)", async (w, _) =>
        {
            var post = await w.Member.CreatePostAsync(w.PrivateId, "mine");
            return new(HttpMethod.Delete, $"/api/v4/posts/{post.Id()}");
        }, [401, 403, 403, 200, 200]),
        new("DELETE /posts/{id} (someone else's)", async (w, _) =>
        {
            var post = await w.Owner.CreatePostAsync(w.PrivateId, "owner's");
            return new(HttpMethod.Delete, $"/api/v4/posts/{post.Id()}");
        }, [401, 403, 403, 403, 200]),
        new("GET /channels/{private}/posts", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/posts"), 401, 403, 403, 200, 200),
        new("GET /channels/{private}/posts?since", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/posts?since=1"), 401, 403, 403, 200, 200),
        new("GET /channels/{public}/posts", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PublicId}/posts"), 401, 403, 200, 200, 200),
        new("POST /teams/{id}/posts/search", w => new(HttpMethod.Post, $"/api/v4/teams/{w.TeamId}/posts/search", new { Terms = "secret" }), 401, 403, 200, 200, 200),
        new("GET /channels/{private}/posts?include_deleted", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/posts?include_deleted=true"), 401, 403, 403, 403, 200),
        new("POST /posts/{id}/pin (private)", w => new(HttpMethod.Post, $"/api/v4/posts/{w.OwnerPostId}/pin"), 401, 403, 403, 200, 200),
        new("POST /posts/{id}/unpin (private)", w => new(HttpMethod.Post, $"/api/v4/posts/{w.OwnerPostId}/unpin"), 401, 403, 403, 200, 200),
        new("GET /channels/{private}/pinned", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/pinned"), 401, 403, 403, 200, 200),
        new("GET /channels/{public}/pinned", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PublicId}/pinned"), 401, 403, 200, 200, 200),
        new("POST /posts/ids (private: unreadable ones left out)", w => new(HttpMethod.Post, "/api/v4/posts/ids", new[] { w.OwnerPostId }), 401, 200, 200, 200, 200),
        new("GET /posts/{id}/edit_history (the member's)", async (w, _) =>
        {
            var post = await w.Member.CreatePostAsync(w.PrivateId, "first");
            (await w.Member.PutAsync($"/api/v4/posts/{post.Id()}/patch", new { Message = "second" })).Expect(200);
            return new(HttpMethod.Get, $"/api/v4/posts/{post.Id()}/edit_history");
        }, [401, 403, 403, 200, 403]),
        new("GET /users/me/posts/flagged", _ => new(HttpMethod.Get, "/api/v4/users/me/posts/flagged"), 401, 200, 200, 200, 200),
        new("GET /users/{other}/posts/flagged", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/posts/flagged"), 401, 403, 403, 403, 200),
        new("GET /teams/{id}/stats", w => new(HttpMethod.Get, $"/api/v4/teams/{w.TeamId}/stats"), 401, 403, 200, 200, 200),
        new("GET /channels/{private}/stats", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/stats"), 401, 403, 403, 200, 200),
        new("GET /channels/{public}/stats (read_channel: members)", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PublicId}/stats?exclude_files_count=true"), 401, 403, 403, 200, 200),
        new("GET /channels/{private}/member_counts_by_group", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/member_counts_by_group?include_timezones=true"), 401, 403, 403, 200, 200),
        new("POST /reactions (private)", (w, role) => Task.FromResult(new Request(HttpMethod.Post, "/api/v4/reactions", new { UserId = w.UserId(role), PostId = w.OwnerPostId, EmojiName = "smile" })), [401, 403, 403, 200, 200]),
        new("GET /posts/{id}/reactions (private)", w => new(HttpMethod.Get, $"/api/v4/posts/{w.OwnerPostId}/reactions"), 401, 403, 403, 200, 200),
        new("POST /posts/ids/reactions (private)", w => new(HttpMethod.Post, "/api/v4/posts/ids/reactions", new[] { w.OwnerPostId }), 401, 403, 403, 200, 200),
        new("DELETE /users/{self}/posts/{id}/reactions/{name} (private)",
            (w, role) => Task.FromResult(new Request(HttpMethod.Delete, $"/api/v4/users/{w.UserId(role)}/posts/{w.OwnerPostId}/reactions/smile")), [401, 403, 403, 200, 200]),
        new("DELETE /users/{other}/posts/{id}/reactions/{name} (private)", async (w, _) =>
        {
            (await w.Owner.PostAsync("/api/v4/reactions", new { w.Owner.UserId, PostId = w.OwnerPostId, EmojiName = "tada" })).Expect(200);
            return new(HttpMethod.Delete, $"/api/v4/users/{w.Owner.UserId}/posts/{w.OwnerPostId}/reactions/tada");
        }, [401, 403, 403, 403, 200]),
        new("GET /emoji", _ => new(HttpMethod.Get, "/api/v4/emoji?sort=name"), 401, 200, 200, 200, 200),
        new("GET /emoji/{id}", _ => new(HttpMethod.Get, $"/api/v4/emoji/{RolesAndPreferencesTests.NewId()}"), 401, 404, 404, 404, 404),
        new("GET /emoji/name/{name}", _ => new(HttpMethod.Get, "/api/v4/emoji/name/nobody-has-this"), 401, 404, 404, 404, 404),
        new("POST /emoji/names", _ => new(HttpMethod.Post, "/api/v4/emoji/names", new[] { "smile" }), 401, 200, 200, 200, 200),
        new("GET /emoji/autocomplete", _ => new(HttpMethod.Get, "/api/v4/emoji/autocomplete?name=sm"), 401, 200, 200, 200, 200),
        new("POST /emoji/search", _ => new(HttpMethod.Post, "/api/v4/emoji/search", new { Term = "sm" }), 401, 200, 200, 200, 200),
        new("POST /emoji", (w, role) => Task.FromResult(new Request(HttpMethod.Post, "/api/v4/emoji",
            CustomEmojiTests.Form("p" + Unique.Suffix(), w.UserId(role), TestFiles.Png(16, 16)))), [401, 200, 200, 200, 200]),
        new("GET /emoji/{id}/image", async (w, _) =>
            new(HttpMethod.Get, $"/api/v4/emoji/{(await CustomEmojiTests.CreateAsync(w.Owner, "p" + Unique.Suffix(), TestFiles.Png(16, 16))).Expect(200).Json.Id()}/image"),
            [401, 200, 200, 200, 200]),
        new("DELETE /emoji/{id} (someone else's)", async (w, _) =>
            new(HttpMethod.Delete, $"/api/v4/emoji/{(await CustomEmojiTests.CreateAsync(w.Owner, "p" + Unique.Suffix(), TestFiles.Png(16, 16))).Expect(200).Json.Id()}"),
            [401, 403, 403, 403, 200]),
        new("GET /posts/{id}/thread (private)", w => new(HttpMethod.Get, $"/api/v4/posts/{w.OwnerPostId}/thread"), 401, 403, 403, 200, 200),
        new("GET /users/{id}/channels/{private}/posts/unread", w => new(HttpMethod.Get, $"/api/v4/users/me/channels/{w.PrivateId}/posts/unread"), 401, 403, 403, 200, 404),
        new("GET /users/{id}/teams/{id}/threads", w => new(HttpMethod.Get, $"/api/v4/users/me/teams/{w.TeamId}/threads"), 401, 403, 200, 200, 200),
        new("GET /users/{other}/teams/{id}/threads", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/teams/{w.TeamId}/threads"), 401, 403, 403, 403, 200),
        new("GET /users/{id}/teams/{id}/threads/{private, not followed}", w => new(HttpMethod.Get, $"/api/v4/users/me/teams/{w.TeamId}/threads/{w.OwnerPostId}"), 401, 403, 403, 404, 404),
        new("PUT /users/{id}/teams/{id}/threads/{private}/read/{time}", w => new(HttpMethod.Put, $"/api/v4/users/me/teams/{w.TeamId}/threads/{w.OwnerPostId}/read/1"), 401, 403, 403, 200, 200),
        new("PUT /users/{id}/teams/{id}/threads/{private}/following", w => new(HttpMethod.Put, $"/api/v4/users/me/teams/{w.TeamId}/threads/{w.OwnerPostId}/following"), 401, 403, 403, 200, 200),
        new("DELETE /users/{id}/teams/{id}/threads/{private}/following", w => new(HttpMethod.Delete, $"/api/v4/users/me/teams/{w.TeamId}/threads/{w.OwnerPostId}/following"), 401, 403, 403, 200, 200),
        new("PUT /users/{id}/teams/{id}/threads/read", w => new(HttpMethod.Put, $"/api/v4/users/me/teams/{w.TeamId}/threads/read"), 401, 403, 200, 200, 200),
        new("GET /system/ping", _ => new(HttpMethod.Get, "/api/v4/system/ping?get_server_status=true"), 200, 200, 200, 200, 200),
        new("POST /files (private, raw body)", w => new(HttpMethod.Post, $"/api/v4/files?channel_id={w.PrivateId}&filename=note.json", new { Note = "hi" }), 401, 403, 403, 201, 201),
        new("POST /files (public, not joined)", w => new(HttpMethod.Post, $"/api/v4/files?channel_id={w.LobbyId}&filename=note.json", new { Note = "hi" }), 401, 403, 403, 403, 201),
        new("GET /files/{id} (private)", w => new(HttpMethod.Get, $"/api/v4/files/{w.OwnerFileId}"), 401, 403, 403, 200, 200),
        new("GET /files/{id}/info (private)", w => new(HttpMethod.Get, $"/api/v4/files/{w.OwnerFileId}/info"), 401, 403, 403, 200, 200),
        new("GET /files/{id}/thumbnail (private)", w => new(HttpMethod.Get, $"/api/v4/files/{w.OwnerFileId}/thumbnail"), 401, 403, 403, 200, 200),
        new("GET /files/{id}/preview (private)", w => new(HttpMethod.Get, $"/api/v4/files/{w.OwnerFileId}/preview"), 401, 403, 403, 200, 200),
        new("GET /files/{id}/link (public links off)", w => new(HttpMethod.Get, $"/api/v4/files/{w.OwnerFileId}/link"), 401, 403, 403, 403, 403),
        new("GET /files/{id}/public (public links off)", w => new(HttpMethod.Get, $"/files/{w.OwnerFileId}/public?h=x"), 403, 403, 403, 403, 403),
        new("GET /users/{id}/image", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/image"), 401, 200, 200, 200, 200),
        new("GET /users/{id}/image/default", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/image/default"), 401, 200, 200, 200, 200),
        new("DELETE /users/{id}/image (someone else's)", w => new(HttpMethod.Delete, $"/api/v4/users/{w.Owner.UserId}/image"), 401, 403, 403, 403, 200),
        new("GET /posts/{id}/files/info (private)", w => new(HttpMethod.Get, $"/api/v4/posts/{w.OwnerPostId}/files/info"), 401, 403, 403, 200, 200),
        new("GET /users/{other}/channel_members", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/channel_members"), 401, 403, 403, 403, 200),
        new("GET /users/{other}/channels", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/channels"), 401, 403, 403, 403, 200),
        new("GET /users/{other}/teams/members", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/teams/members"), 401, 403, 403, 403, 200),
        new("GET /users/{other}/teams/unread", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/teams/unread"), 401, 403, 403, 403, 200),
        new("GET /users/{id}/teams/{id}/channels/members", w => new(HttpMethod.Get, $"/api/v4/users/me/teams/{w.TeamId}/channels/members"), 401, 403, 200, 200, 200),
        new("GET /users/{other}/preferences", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/preferences"), 401, 403, 403, 403, 200),
        new("GET /users/{other}/preferences/{category}", async (w, _) =>
        {
            (await w.Owner.PutAsync("/api/v4/users/me/preferences", MilitaryTime(w))).Expect(200);
            return new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/preferences/display_settings");
        }, [401, 403, 403, 403, 200]),
        new("PUT /users/{other}/preferences", w => new(HttpMethod.Put, $"/api/v4/users/{w.Owner.UserId}/preferences", MilitaryTime(w)), 401, 403, 403, 403, 200),
        new("POST /users/{other}/preferences/delete", w => new(HttpMethod.Post, $"/api/v4/users/{w.Owner.UserId}/preferences/delete", MilitaryTime(w)), 401, 403, 403, 403, 200),
        new("GET /users/{other}/status", w => new(HttpMethod.Get, $"/api/v4/users/{w.Owner.UserId}/status"), 401, 200, 200, 200, 200),
        new("PUT /users/{other}/status", w => new(HttpMethod.Put, $"/api/v4/users/{w.Owner.UserId}/status", new { w.Owner.UserId, Status = "online" }), 401, 403, 403, 403, 200),
        new("POST /users/status/ids", w => new(HttpMethod.Post, "/api/v4/users/status/ids", new[] { w.Owner.UserId }), 401, 200, 200, 200, 200),
        new("POST /users/search", _ => new(HttpMethod.Post, "/api/v4/users/search", new { Term = "perm" }), 401, 200, 200, 200, 200),
        new("GET /users/autocomplete (in the team)", w => new(HttpMethod.Get, $"/api/v4/users/autocomplete?in_team={w.TeamId}&name=perm"), 401, 403, 200, 200, 200),
        // Open sign-up is on, and a signed-in caller may create an account too (Mattermost answers the same).
        new("POST /users (sign-up)", _ => new(HttpMethod.Post, "/api/v4/users", new { Username = Unique.Username(), Email = $"{Unique.Username()}@example.com", Password = ApiClient.DefaultPassword }), 201, 201, 201, 201, 201),
        new("POST /users/login", w => new(HttpMethod.Post, "/api/v4/users/login", new { LoginId = w.Owner.Username, Password = ApiClient.DefaultPassword }), 200, 200, 200, 200, 200),
        // Not an image: the permission check comes first, then the body is refused.
        new("POST /users/{other}/image", w => new(HttpMethod.Post, $"/api/v4/users/{w.Owner.UserId}/image", new { Image = "none" }), 401, 403, 403, 403, 400),
        new("POST /channels/group (with self)", (w, role) => Task.FromResult(new Request(HttpMethod.Post, "/api/v4/channels/group", new[] { w.UserId(role), w.Owner.UserId, w.Candidate.UserId }.Distinct().ToArray())), [401, 201, 201, 201, 201]),
        // As Mattermost: a view of a channel the caller is not in changes nothing and tells nothing (no times back).
        new("POST /channels/members/{id}/view (private)", w => new(HttpMethod.Post, "/api/v4/channels/members/me/view", new { ChannelId = w.PrivateId }), 401, 200, 200, 200, 200),
        new("GET /channels/{private}/members/{id}", w => new(HttpMethod.Get, $"/api/v4/channels/{w.PrivateId}/members/{w.Member.UserId}"), 401, 403, 403, 200, 200),
        new("DELETE /channels/{private}", async (w, _) =>
        {
            var id = await w.Owner.CreateChannelAsync(w.TeamId, "P");
            await w.Owner.AddToChannelAsync(id, w.Member);
            return new(HttpMethod.Delete, $"/api/v4/channels/{id}");
        }, [401, 403, 403, 200, 200]),
        new("GET /teams", _ => new(HttpMethod.Get, "/api/v4/teams"), 401, 200, 200, 200, 200),
        new("GET /teams/name/{name} (invite only)", async (w, _) => new(HttpMethod.Get, $"/api/v4/teams/name/{await NameOfAsync(w, $"/api/v4/teams/{w.TeamId}")}"), [401, 403, 200, 200, 200]),
        new("GET /teams/{id}/channels", w => new(HttpMethod.Get, $"/api/v4/teams/{w.TeamId}/channels"), 401, 403, 200, 200, 200),
        // A private channel the caller cannot read is not found, as in Mattermost: its name is not confirmed.
        new("GET /teams/{id}/channels/name/{private}", async (w, _) => new(HttpMethod.Get, $"/api/v4/teams/{w.TeamId}/channels/name/{await NameOfAsync(w, $"/api/v4/channels/{w.PrivateId}")}"), [401, 404, 404, 200, 200]),
        new("GET /teams/name/{name}/channels/name/{private}", async (w, _) =>
            new(HttpMethod.Get, $"/api/v4/teams/name/{await NameOfAsync(w, $"/api/v4/teams/{w.TeamId}")}/channels/name/{await NameOfAsync(w, $"/api/v4/channels/{w.PrivateId}")}"),
            [401, 404, 404, 200, 200]),
        new("POST /teams/{id}/channels/search", w => new(HttpMethod.Post, $"/api/v4/teams/{w.TeamId}/channels/search", new { Term = "a" }), 401, 403, 200, 200, 200),
        new("GET /roles (all)", _ => new(HttpMethod.Get, "/api/v4/roles"), 401, 403, 403, 403, 200),
        new("GET /roles/name/{name}", _ => new(HttpMethod.Get, "/api/v4/roles/name/system_user"), 401, 200, 200, 200, 200),
        new("GET /roles/{id}", async (w, _) => new(HttpMethod.Get, $"/api/v4/roles/{(string?)(await w.Owner.GetAsync("/api/v4/roles/name/system_user")).Expect(200).Json["id"]}"), [401, 200, 200, 200, 200]),
        new("POST /roles/names", _ => new(HttpMethod.Post, "/api/v4/roles/names", new[] { "system_user", "team_user" }), 401, 200, 200, 200, 200),
        new("GET /config/client", _ => new(HttpMethod.Get, "/api/v4/config/client?format=old"), 200, 200, 200, 200, 200),
        new("GET /license/client", _ => new(HttpMethod.Get, "/api/v4/license/client?format=old"), 200, 200, 200, 200, 200),
        new("GET /limits/server", _ => new(HttpMethod.Get, "/api/v4/limits/server"), 401, 200, 200, 200, 200),
        new("GET /config", _ => new(HttpMethod.Get, "/api/v4/config"), 401, 403, 403, 403, 200),
        // The test cluster's configuration is read-only (ClusterSettings.ReadOnlyConfig), so even an admin gets 403.
        new("PUT /config (read-only)", async (w, _) => new(HttpMethod.Put, "/api/v4/config", (await w.Callers[Role.Admin].GetAsync("/api/v4/config")).Expect(200).Json), [401, 403, 403, 403, 403]),
        new("POST /config/reload", _ => new(HttpMethod.Post, "/api/v4/config/reload"), 401, 403, 403, 403, 200),
        new("GET /cluster/status", _ => new(HttpMethod.Get, "/api/v4/cluster/status"), 401, 403, 403, 403, 200),
        new("GET /database/routing", _ => new(HttpMethod.Get, "/api/v4/database/routing"), 401, 403, 403, 403, 200),
        new("POST /database/recycle", _ => new(HttpMethod.Post, "/api/v4/database/recycle"), 401, 403, 403, 403, 200),
        new("GET /data_retention/policies", _ => new(HttpMethod.Get, "/api/v4/data_retention/policies"), 401, 403, 403, 403, 200),
        new("POST /data_retention/policies (invalid)", _ => new(HttpMethod.Post, "/api/v4/data_retention/policies", new { DisplayName = "" }), 401, 403, 403, 403, 400),
        new("GET /data_retention/policies/{unknown}", _ => new(HttpMethod.Get, $"/api/v4/data_retention/policies/{RolesAndPreferencesTests.NewId()}"), 401, 403, 403, 403, 404),
        new("DELETE /data_retention/policies/{unknown}", _ => new(HttpMethod.Delete, $"/api/v4/data_retention/policies/{RolesAndPreferencesTests.NewId()}"), 401, 403, 403, 403, 404),
        new("GET /jobs", _ => new(HttpMethod.Get, "/api/v4/jobs"), 401, 403, 403, 403, 200),
        new("POST /jobs (unknown type)", _ => new(HttpMethod.Post, "/api/v4/jobs", new { Type = "no_such_job" }), 401, 403, 403, 403, 400),
        new("GET /jobs/type/{type}", _ => new(HttpMethod.Get, "/api/v4/jobs/type/data_retention"), 401, 403, 403, 403, 200),
        new("GET /jobs/{unknown}", _ => new(HttpMethod.Get, $"/api/v4/jobs/{RolesAndPreferencesTests.NewId()}"), 401, 403, 403, 403, 404),
        new("POST /jobs/{unknown}/cancel", _ => new(HttpMethod.Post, $"/api/v4/jobs/{RolesAndPreferencesTests.NewId()}/cancel"), 401, 403, 403, 403, 404),
        new("GET /jobs/{unknown}/download", _ => new(HttpMethod.Get, $"/api/v4/jobs/{RolesAndPreferencesTests.NewId()}/download"), 401, 403, 403, 403, 404),
        new("GET /plugins", _ => new(HttpMethod.Get, "/api/v4/plugins"), 401, 403, 403, 403, 200),
        new("GET /plugins/statuses", _ => new(HttpMethod.Get, "/api/v4/plugins/statuses"), 401, 403, 403, 403, 200),
        // Uploads are off by default (PluginSettings.EnableUploads), for admins too.
        new("POST /plugins (uploads off)", _ => new(HttpMethod.Post, "/api/v4/plugins"), 401, 403, 403, 403, 403),
        new("POST /plugins/{unknown}/enable", _ => new(HttpMethod.Post, "/api/v4/plugins/no.such.plugin/enable"), 401, 403, 403, 403, 404),
        new("POST /plugins/{unknown}/disable", _ => new(HttpMethod.Post, "/api/v4/plugins/no.such.plugin/disable"), 401, 403, 403, 403, 404),
        new("DELETE /plugins/{unknown}", _ => new(HttpMethod.Delete, "/api/v4/plugins/no.such.plugin"), 401, 403, 403, 403, 404),
        // A plugin's own routes are its to guard; one that is not running is not found, whoever asks.
        new("GET /plugins/{unknown}", _ => new(HttpMethod.Get, "/plugins/no.such.plugin"), 404, 404, 404, 404, 404),
        new("GET /plugins/{unknown}/{path}", _ => new(HttpMethod.Get, "/plugins/no.such.plugin/api/v1/things"), 404, 404, 404, 404, 404),
        // The cluster page is static; what it shows comes from admin-only routes.
        new("GET /admin/cluster", _ => new(HttpMethod.Get, "/admin/cluster"), 200, 200, 200, 200, 200),
        new("GET /admin/cluster.js", _ => new(HttpMethod.Get, "/admin/cluster.js"), 200, 200, 200, 200, 200),
        new("GET /admin/cluster.css", _ => new(HttpMethod.Get, "/admin/cluster.css"), 200, 200, 200, 200, 200),
        new("GET /api/v4/files/{id}/public (public links off)", w => new(HttpMethod.Get, $"/api/v4/files/{w.OwnerFileId}/public?h=x"), 403, 403, 403, 403, 403),
        new("GET /healthz", _ => new(HttpMethod.Get, "/healthz"), 200, 200, 200, 200, 200),
        new("GET /readyz", _ => new(HttpMethod.Get, "/readyz"), 200, 200, 200, 200, 200),
    ];

    [Fact]
    public async Task Every_endpoint_answers_every_kind_of_caller_as_the_default_permission_scheme_says()
    {
        var world = await CreateWorldAsync();
        var wrong = new StringBuilder();
        var sent = new List<Request>();
        var cell = 0;
        foreach (var test in Cases)
        {
            foreach (var role in Enum.GetValues<Role>())
            {
                // Logging out ends the session, so that case gets a fresh one.
                var caller = test.Name.StartsWith("POST /users/logout", StringComparison.Ordinal) && role != Role.Anonymous
                    ? await FreshSessionAsync(world.Callers[role])
                    : world.Callers[role];
                // Alternate the nodes: the answer must not depend on which one serves it.
                caller = caller.On((cell++ % 2 == 0 ? cluster.Api1 : cluster.Api2).BaseUrl);
                var request = await test.Prepare(world, role);
                sent.Add(request);
                var response = request.Body is HttpContent content
                    ? await caller.SendAsync(request.Method, request.Path, content)
                    : await caller.SendAsync(request.Method, request.Path, request.Body);
                if (test.Cleanup is not null)
                {
                    await test.Cleanup(world, role);
                }
                var expected = test.Expected[(int)role];
                if (response.Status != expected)
                {
                    wrong.AppendLine($"{test.Name} as {role}: {response.Status}, expected {expected}: {response.Body}");
                }
            }
        }
        await ReportRoutesNotCoveredAsync(sent, wrong);
        Assert.True(wrong.Length == 0, $"Wrong answers:\n{wrong}");
    }

    /// <summary>A route the matrix never calls fails the test: a new endpoint needs its row here.</summary>
    private static async Task ReportRoutesNotCoveredAsync(IEnumerable<Request> sent, StringBuilder wrong)
    {
        await using var table = ApiRouteTable.Build();
        // By description: each read of a data source builds new endpoint objects.
        var covered = new HashSet<string>();
        foreach (var request in sent.DistinctBy(r => (r.Method, r.Path)))
        {
            if (await table.MatchAsync(request.Method, request.Path) is { } route)
            {
                covered.Add(ApiRouteTable.Describe(route));
            }
            else
            {
                wrong.AppendLine($"{request.Method} {request.Path} matches no route");
            }
        }
        foreach (var route in table.Routes.Select(ApiRouteTable.Describe).Where(r => !covered.Contains(r)).Order())
        {
            wrong.AppendLine($"Not in the matrix: {route}");
        }
    }

    [Fact]
    public async Task Private_posts_stay_out_of_the_searches_and_lists_of_non_members()
    {
        var world = await CreateWorldAsync();
        var word = "zx" + Unique.Suffix();
        var hidden = (await world.Owner.CreatePostAsync(world.PrivateId, $"{word} in private")).Id();
        var open = (await world.Owner.CreatePostAsync(world.PublicId, $"{word} in public")).Id();
        foreach (var role in new[] { Role.Teammate, Role.Outsider })
        {
            var search = await world.Callers[role].PostAsync($"/api/v4/teams/{world.TeamId}/posts/search", new { Terms = word });
            if (role == Role.Outsider)
            {
                search.Expect(403);
                continue;
            }
            // A teammate who has not joined the public channel finds neither post: search covers the caller's channels.
            Assert.Empty(search.Expect(200).Json.Order());
        }
        Assert.Equal([open, hidden], (await world.Member.PostAsync($"/api/v4/teams/{world.TeamId}/posts/search", new { Terms = word })).Expect(200).Json.Order());
        var teammateChannels = (await world.Callers[Role.Teammate].GetAsync($"/api/v4/users/me/teams/{world.TeamId}/channels")).Expect(200).Json.Ids();
        Assert.DoesNotContain(world.PrivateId, teammateChannels);
    }

    [Fact]
    public async Task Admin_only_operations_answer_403_to_everyone_else()
    {
        // The restricted node has open sign-up disabled: only a system admin may create users there.
        var node = cluster.Restricted;
        var user = (await cluster.NewUserAsync()).On(node.BaseUrl);
        var body = () => new { Username = Unique.Username(), Email = $"{Unique.Username()}@example.com", Password = ApiClient.DefaultPassword };
        Assert.Equal("api.user.create_user.no_open_server", (string?)(await cluster.Anonymous(node).PostAsync("/api/v4/users", body())).Expect(403).Json["id"]);
        (await user.PostAsync("/api/v4/users", body())).Expect(403);
        var created = (await cluster.Admin.On(node.BaseUrl).PostAsync("/api/v4/users", body())).Expect(201).Json;
        Assert.Equal("system_user", (string?)created["roles"]);

        // Server status details are for admins only; others get the plain ping.
        var plain = (await user.GetAsync("/api/v4/system/ping?get_server_status=true")).Expect(200).Json;
        Assert.Equal("OK", (string?)plain["status"]);
        Assert.Null(plain["database_status"]);
        var full = (await cluster.Admin.GetAsync("/api/v4/system/ping?get_server_status=true")).Expect(200).Json;
        Assert.Equal("OK", (string?)full["database_status"]);
        Assert.Equal("OK", (string?)full["filestore_status"]);
        Assert.Null((await cluster.Admin.GetAsync("/api/v4/system/ping")).Expect(200).Json["database_status"]);
    }

    private async Task<World> CreateWorldAsync()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => cluster.NewUserAsync(i % 2 == 0 ? cluster.Api1 : cluster.Api2, "perm")));
        var (owner, outsider, teammate, member, candidate) = (users[0], users[1], users[2], users[3], users[4]);
        var teamId = await owner.CreateTeamAsync("I");
        await owner.AddToTeamAsync(teamId, teammate, member);
        var privateId = await owner.CreateChannelAsync(teamId, "P");
        var publicId = await owner.CreateChannelAsync(teamId, "O");
        var lobbyId = await owner.CreateChannelAsync(teamId, "O");
        await owner.AddToChannelAsync(privateId, member);
        await owner.AddToChannelAsync(publicId, member);
        var file = await owner.UploadOneAsync(privateId, "plans.png", TestFiles.Png(40, 30));
        var post = (await owner.PostAsync("/api/v4/posts", new { ChannelId = privateId, Message = "secret plans", FileIds = new[] { file.Id() } })).Expect(201).Json;
        return new World
        {
            Owner = owner,
            Candidate = candidate,
            Callers = new()
            {
                [Role.Anonymous] = cluster.Anonymous(cluster.Api1),
                [Role.Outsider] = outsider,
                [Role.Teammate] = teammate,
                [Role.Member] = member,
                [Role.Admin] = cluster.Admin,
            },
            TeamId = teamId,
            PrivateId = privateId,
            PublicId = publicId,
            LobbyId = lobbyId,
            OwnerPostId = post.Id(),
            OwnerFileId = file.Id(),
        };
    }

    private static object[] MilitaryTime(World world) =>
        [new { world.Owner.UserId, Category = "display_settings", Name = "use_military_time", Value = "true" }];

    private static async Task<string> NameOfAsync(World world, string path) =>
        (string)(await world.Owner.GetAsync(path)).Expect(200).Json["name"]!;

    /// <summary>Logs <paramref name="user"/> in once more; the new session's id.</summary>
    private static async Task<string> SecondSessionAsync(ApiClient user)
    {
        var second = user.Anonymous();
        await second.LoginAsync(user.Username!);
        var sessions = (await second.GetAsync("/api/v4/users/me/sessions")).Expect(200).Json.AsArray();
        return (string)sessions.OrderByDescending(s => (long)s!["create_at"]!).First()!["id"]!;
    }

    private async Task<ApiClient> FreshSessionAsync(ApiClient user)
    {
        var fresh = cluster.Anonymous(cluster.Api1);
        await fresh.LoginAsync(user.Username!);
        return fresh;
    }
}
