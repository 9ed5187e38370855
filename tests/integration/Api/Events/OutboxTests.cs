using System.Text.Json.Nodes;
using Npgsql;

namespace Chat.IntegrationTests;

/// <summary>
/// The transactional outbox: every change made through the REST API records its Mattermost WebSocket event(s) in
/// cluster_events in the change's own transaction, with the audience and membership changes of
/// services/realtime/DESIGN.md; a failed change records nothing; an api node killed right after its commits has
/// lost none of their events. The table is read directly.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OutboxTests(ClusterFixture cluster, Xunit.Abstractions.ITestOutputHelper output)
{
    private RecordedEvents Log => new(cluster.DataSource);

    [Fact]
    public async Task Posts_record_posted_edited_and_deleted_for_their_channel()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var name = Unique.ChannelName();
        var channelId = (await alice.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = name, DisplayName = "Launch Pad", Type = "P" })).Expect(201).Json.Id();
        await alice.AddToChannelAsync(channelId, bob);

        var pending = $"{alice.UserId}:{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}";
        var created = (await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "hello", PendingPostId = pending })).Expect(201).Json;
        var postId = created.Id();
        var patched = (await alice.On(cluster.Api2.BaseUrl).PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "hello, edited" })).Expect(200).Json;
        (await alice.DeleteAsync($"/api/v4/posts/{postId}")).Expect(200);

        var events = await Log.MentioningAsync(postId);
        Assert.Equal(["posted", "post_edited", "post_deleted"], events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal($"channel:{channelId}", e.Audience));
        Assert.All(events, e => Assert.Empty(e.Membership));

        var posted = events[0];
        // data.post is exactly what the creator got back, pending_post_id included.
        Assert.True(JsonNode.DeepEquals(created, posted.Post), $"{created.ToJsonString()}\n{posted.Post.ToJsonString()}");
        Assert.Equal(pending, (string?)posted.Post["pending_post_id"]);
        Assert.Equal("P", (string?)posted.Data["channel_type"]);
        Assert.Equal(name, (string?)posted.Data["channel_name"]);
        Assert.Equal("Launch Pad", (string?)posted.Data["channel_display_name"]);
        Assert.Equal($"@{alice.Username}", (string?)posted.Data["sender_name"]);
        Assert.Equal(teamId, (string?)posted.Data["team_id"]);
        Assert.True((bool)posted.Data["set_online"]!);

        Assert.True(JsonNode.DeepEquals(patched, events[1].Post), $"{patched.ToJsonString()}\n{events[1].Post.ToJsonString()}");
        var deleted = events[2].Post;
        Assert.Equal(postId, deleted.Id());
        // A tombstone: which post, not what it said.
        Assert.Equal("", (string?)deleted["message"]);
        Assert.True((long)deleted["delete_at"]! > 0);

        // In a direct channel the display name is the sender's, and there is no team.
        var direct = (await bob.PostAsync("/api/v4/channels/direct", new[] { bob.UserId, alice.UserId })).Expect(201).Json.Id();
        var message = await bob.On(cluster.Api1.BaseUrl).CreatePostAsync(direct, "psst");
        var dm = Assert.Single(await Log.MentioningAsync(message.Id()));
        Assert.Equal($"channel:{direct}", dm.Audience);
        Assert.Equal("D", (string?)dm.Data["channel_type"]);
        Assert.Equal($"@{bob.Username}", (string?)dm.Data["channel_display_name"]);
        Assert.Equal($"@{bob.Username}", (string?)dm.Data["sender_name"]);
        Assert.Equal("", (string?)dm.Data["team_id"]);
    }

    [Fact]
    public async Task Channel_changes_record_their_events_and_membership()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);

        var channelId = await alice.CreateChannelAsync(teamId, "O");
        (await bob.PostAsync($"/api/v4/channels/{channelId}/members", new { bob.UserId })).Expect(201);
        // Joining again changes nothing, so it records nothing.
        (await alice.On(cluster.Api2.BaseUrl).PostAsync($"/api/v4/channels/{channelId}/members", new { bob.UserId })).Expect(201);
        (await alice.DeleteAsync($"/api/v4/channels/{channelId}/members/{bob.UserId}")).Expect(200);

        // Joining and the removal also post their system messages, each its own posted event.
        var events = await Log.MentioningAsync(channelId);
        Assert.Equal(["channel_created", "user_added", "posted", "user_removed", "user_removed", "posted"], events.Select(e => e.Event));
        Assert.Equal("system_join_channel", (string?)events[2].Post["type"]);
        Assert.Equal("system_remove_from_channel", (string?)events[5].Post["type"]);
        events = [.. events.Where(e => e.Event != "posted")];

        var created = events[0];
        Assert.Equal($"user:{alice.UserId}", created.Audience);
        Assert.Equal(channelId, (string?)created.Data["channel_id"]);
        Assert.Equal(teamId, (string?)created.Data["team_id"]);
        Assert.Equal([$"join_channel {alice.UserId} {channelId} {teamId}"], created.Membership);

        var added = events[1];
        Assert.Equal($"channel:{channelId}", added.Audience);
        Assert.Equal(bob.UserId, (string?)added.Data["user_id"]);
        Assert.Equal(teamId, (string?)added.Data["team_id"]);
        Assert.Equal([$"join_channel {bob.UserId} {channelId} {teamId}"], added.Membership);

        // One to the channel (carrying the change), one to the removed user, who is no longer in it.
        var (toChannel, toUser) = (events[2], events[3]);
        Assert.Equal($"channel:{channelId}", toChannel.Audience);
        Assert.Equal(bob.UserId, (string?)toChannel.Data["user_id"]);
        Assert.Equal(alice.UserId, (string?)toChannel.Data["remover_id"]);
        Assert.Equal([$"leave_channel {bob.UserId} {channelId} {teamId}"], toChannel.Membership);
        Assert.Equal($"user:{bob.UserId}", toUser.Audience);
        Assert.Equal(channelId, (string?)toUser.Data["channel_id"]);
        Assert.Equal(alice.UserId, (string?)toUser.Data["remover_id"]);
        Assert.Empty(toUser.Membership);

        // A direct channel: one direct_added on creation, both users joining; none when it already exists.
        var direct = (await alice.PostAsync("/api/v4/channels/direct", new[] { alice.UserId, bob.UserId })).Expect(201).Json.Id();
        (await bob.PostAsync("/api/v4/channels/direct", new[] { bob.UserId, alice.UserId })).Expect(201);
        var directAdded = Assert.Single(await Log.MentioningAsync(direct));
        Assert.Equal("direct_added", directAdded.Event);
        Assert.Equal($"channel:{direct}", directAdded.Audience);
        Assert.Equal(alice.UserId, (string?)directAdded.Data["creator_id"]);
        Assert.Equal(bob.UserId, (string?)directAdded.Data["teammate_id"]);
        Assert.Equal([$"join_channel {alice.UserId} {direct} ", $"join_channel {bob.UserId} {direct} "], directAdded.Membership);
    }

    [Fact]
    public async Task Channel_and_profile_patches_record_channel_updated_and_user_updated()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        await alice.AddToTeamAsync(teamId, bob);
        var channelId = await alice.CreateChannelAsync(teamId, "O");
        await alice.AddToChannelAsync(channelId, bob);
        // Posting through api-2 caches the channel there; the patch through api-1 must reach that cache.
        await bob.On(cluster.Api2.BaseUrl).CreatePostAsync(channelId, "before");

        var renamed = Unique.ChannelName();
        var patched = (await bob.On(cluster.Api1.BaseUrl).PutAsync($"/api/v4/channels/{channelId}/patch", new { DisplayName = "Renamed", Name = renamed, Header = "h" })).Expect(200).Json;
        Assert.Equal(renamed, (string?)patched["name"]);
        Assert.Equal("Renamed", (string?)patched["display_name"]);
        var updated = Assert.Single(await Log.MentioningAsync(channelId), e => e.Event == "channel_updated");
        Assert.Equal($"channel:{channelId}", updated.Audience);
        var channel = JsonNode.Parse((string)updated.Data["channel"]!)!;
        Assert.True(JsonNode.DeepEquals(patched, channel), $"{patched.ToJsonString()}\n{channel.ToJsonString()}");
        await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(1), async () =>
        {
            var post = await bob.On(cluster.Api2.BaseUrl).CreatePostAsync(channelId, "after");
            return (string?)Assert.Single(await Log.MentioningAsync(post.Id())).Data["channel_display_name"] == "Renamed";
        });

        // A member who is not the creator may patch; a non-member of the team may not; names stay unique in the team.
        var carol = await cluster.NewUserAsync(cluster.Api1);
        (await carol.PutAsync($"/api/v4/channels/{channelId}/patch", new { Header = "x" })).Expect(403);
        var other = await alice.CreateChannelAsync(teamId, "O");
        (await alice.PutAsync($"/api/v4/channels/{other}/patch", new { Name = renamed })).Expect(400);

        // A profile patch: the user sees everything, the event to everyone carries what others may see.
        var me = (await bob.On(cluster.Api1.BaseUrl).PutAsync("/api/v4/users/me/patch", new { Nickname = "bobby", FirstName = "Bob" })).Expect(200).Json;
        Assert.Equal("bobby", (string?)me["nickname"]);
        Assert.Equal(bob.Username, (string?)me["username"]);
        var userUpdated = Assert.Single(await Log.MentioningAsync(bob.UserId!), e => e.Event == "user_updated");
        Assert.Equal("all", userUpdated.Audience);
        Assert.Equal("bobby", (string?)userUpdated.Data["user"]!["nickname"]);
        Assert.Equal(0, (long)userUpdated.Data["user"]!["last_password_update"]!);
        (await carol.PutAsync($"/api/v4/users/{bob.UserId}/patch", new { Nickname = "x" })).Expect(403);
        // Changing one's own email needs the password; an admin's change does not.
        (await bob.PutAsync("/api/v4/users/me/patch", new { Email = $"{bob.Username}-new@example.com" })).Expect(400);
        (await bob.PutAsync("/api/v4/users/me/patch", new { Email = $"{bob.Username}-new@example.com", Password = ApiClient.DefaultPassword })).Expect(200);
        (await bob.PutAsync("/api/v4/users/me/patch", new { Username = alice.Username })).Expect(400);
        // The renamed user's cached session on the other node posts under the new name.
        var newName = Unique.Username("r");
        (await bob.On(cluster.Api1.BaseUrl).PutAsync("/api/v4/users/me/patch", new { Username = newName })).Expect(200);
        await CacheInvalidationTests.WithinAsync(TimeSpan.FromSeconds(1), async () =>
        {
            var post = await bob.On(cluster.Api2.BaseUrl).CreatePostAsync(channelId, "renamed");
            return (string?)Assert.Single(await Log.MentioningAsync(post.Id())).Data["sender_name"] == $"@{newName}";
        });
    }

    [Fact]
    public async Task Team_changes_record_their_events_and_leaving_a_team_leaves_its_channels()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var teamId = await alice.CreateTeamAsync();
        await alice.On(cluster.Api2.BaseUrl).AddToTeamAsync(teamId, bob);
        var open = await alice.CreateChannelAsync(teamId, "O");
        var closed = await alice.CreateChannelAsync(teamId, "P");
        await alice.AddToChannelAsync(open, bob);
        await alice.AddToChannelAsync(closed, bob);
        var defaults = await Task.WhenAll(new[] { "town-square", "off-topic" }.Select(async name => (await bob.GetAsync($"/api/v4/teams/{teamId}/channels/name/{name}")).Expect(200).Json.Id()));
        (await bob.DeleteAsync($"/api/v4/teams/{teamId}/members/{bob.UserId}")).Expect(200);

        var events = (await Log.MentioningAsync(teamId)).Where(e => e.Event is "added_to_team" or "leave_team").ToList();
        Assert.Equal(["added_to_team", "added_to_team", "leave_team", "leave_team"], events.Select(e => e.Event));

        // The creator joins the team it creates; so does an added member. Each hears of it alone.
        foreach (var (e, user) in new[] { (events[0], alice), (events[1], bob) })
        {
            Assert.Equal($"user:{user.UserId}", e.Audience);
            Assert.Equal(teamId, (string?)e.Data["team_id"]);
            Assert.Equal(user.UserId, (string?)e.Data["user_id"]);
            Assert.Equal([$"join_team {user.UserId}  {teamId}"], e.Membership);
        }

        // Leaving: the rest of the team hears of it (the change listing each channel left with the team), then the user.
        var (toTeam, toUser) = (events[2], events[3]);
        Assert.Equal($"team:{teamId} omit:{bob.UserId}", toTeam.Audience);
        Assert.Equal(
            defaults.Append(open).Append(closed).Select(c => $"leave_channel {bob.UserId} {c} {teamId}").Append($"leave_team {bob.UserId}  {teamId}").Order(),
            toTeam.Membership.Order());
        Assert.Equal($"leave_team {bob.UserId}  {teamId}", toTeam.Membership[^1]);
        Assert.Equal($"user:{bob.UserId}", toUser.Audience);
        Assert.Empty(toUser.Membership);
        foreach (var e in new[] { toTeam, toUser })
        {
            Assert.Equal(bob.UserId, (string?)e.Data["user_id"]);
            Assert.Equal(teamId, (string?)e.Data["team_id"]);
        }
    }

    [Fact]
    public async Task Sign_up_records_new_user_for_everyone_and_logout_revokes_the_session()
    {
        var carol = await cluster.NewUserAsync(cluster.Api2);
        var newUser = Assert.Single(await Log.MentioningAsync(carol.UserId!), e => e.Event == "new_user");
        Assert.Equal("all", newUser.Audience);
        Assert.Equal(carol.UserId, (string?)newUser.Data["user_id"]);

        var sessionId = await SessionIdAsync(carol.Token!);
        var after = await Log.PositionAsync();
        (await carol.PostAsync("/api/v4/users/logout", null)).Expect(200);
        var revoked = Assert.Single(await Log.MentioningAsync(sessionId, after));
        Assert.Equal("session_revoked", revoked.Event);
        Assert.Equal($"user:{carol.UserId}", revoked.Audience);
        Assert.Equal(sessionId, (string?)revoked.Message["session"]!["revoked_session_id"]);
        Assert.DoesNotContain(carol.Token!, revoked.ToString());
    }

    [Fact]
    public async Task A_refused_or_failed_change_records_nothing()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var bob = await cluster.NewUserAsync(cluster.Api2);
        var stranger = await cluster.NewUserAsync(cluster.Api2);
        var teamName = Unique.TeamName();
        var teamId = (await alice.PostAsync("/api/v4/teams", new { Name = teamName, DisplayName = "Team", Type = "I" })).Expect(201).Json.Id();
        await alice.AddToTeamAsync(teamId, bob);
        var channelName = Unique.ChannelName();
        var channelId = (await alice.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = channelName, DisplayName = "Secret", Type = "P" })).Expect(201).Json.Id();
        var postId = (await alice.CreatePostAsync(channelId, "mine")).Id();
        var after = await Log.PositionAsync();

        var expect = new Expectations();
        // Refused before anything is written.
        await expect.Check("stranger posts", stranger.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = "hi" }), 403);
        await expect.Check("stranger joins", stranger.PostAsync($"/api/v4/channels/{channelId}/members", new { stranger.UserId }), 403);
        await expect.Check("bob edits", bob.PutAsync($"/api/v4/posts/{postId}/patch", new { Message = "mine now" }), 403);
        await expect.Check("stranger leaves a team he is not in", stranger.DeleteAsync($"/api/v4/teams/{teamId}/members/{stranger.UserId}"), 404);
        await expect.Check("bob is removed from a channel he is not in", alice.DeleteAsync($"/api/v4/channels/{channelId}/members/{bob.UserId}"), 404);
        // Refused by a unique constraint inside the transaction, after the change began.
        await expect.Check("same team name", bob.PostAsync("/api/v4/teams", new { Name = teamName, DisplayName = "Copy" }), 400);
        await expect.Check("same channel name", bob.PostAsync("/api/v4/channels", new { TeamId = teamId, Name = channelName, DisplayName = "Copy" }), 400);
        await expect.Check("same username", cluster.Anonymous(cluster.Api1).PostAsync("/api/v4/users", new { Username = bob.Username, Email = $"{Unique.Username()}@example.com", Password = ApiClient.DefaultPassword }), 400);
        expect.Verify();

        // Nothing was recorded since, by these requests or anything else (this collection runs one test at a time).
        Assert.Empty(await Log.ReadAsync(after));
    }

    [Fact]
    public async Task An_api_node_killed_right_after_its_commits_has_recorded_every_event_of_them()
    {
        await using var node = cluster.NewNode("api", "api-killed");
        await node.StartAsync();
        var alice = (await cluster.NewUserAsync(cluster.Api1)).On(node.BaseUrl);
        var teamId = await alice.CreateTeamAsync();
        var channelId = await alice.CreateChannelAsync(teamId);

        // SIGKILL as soon as the 201 is in: the event committed with the post.
        var lastWords = await alice.CreatePostAsync(channelId, "last words");
        node.Kill();
        await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("posted", Assert.Single(await Log.MentioningAsync(lastWords.Id())).Event);

        // SIGKILL in the middle of a burst: whatever committed has exactly its event, whatever did not has none.
        await node.StartAsync();
        var acknowledged = new List<string>();
        var burst = Enumerable.Range(0, 60).Select(async i =>
        {
            try
            {
                var response = await alice.PostAsync("/api/v4/posts", new { ChannelId = channelId, Message = $"burst {i}" });
                if (response.Status == 201)
                {
                    lock (acknowledged)
                    {
                        acknowledged.Add(response.Json.Id());
                    }
                }
            }
            catch (HttpRequestException)
            {
                // The node died under this request.
            }
        }).ToList();
        while (true)
        {
            lock (acknowledged)
            {
                if (acknowledged.Count >= 10)
                {
                    break;
                }
            }
            await Task.Delay(1);
        }
        node.Kill();
        await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(burst);

        // One snapshot for both: a COMMIT the dead node sent may still be landing.
        var (posts, events) = await PostsAndTheirEventsAsync(channelId);
        output.WriteLine($"burst of 60: {acknowledged.Count} acknowledged, {posts.Count - 1} committed before the kill");
        Assert.Equal(posts.Order(), events.Order());
        Assert.Subset(posts.ToHashSet(), acknowledged.ToHashSet());
        Assert.Contains(lastWords.Id(), events);
    }

    [Fact]
    public async Task Concurrent_posts_through_both_nodes_share_commits_and_each_keeps_its_own_event()
    {
        var alice = await cluster.NewUserAsync(cluster.Api1);
        var teamId = await alice.CreateTeamAsync();
        var channels = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => alice.CreateChannelAsync(teamId)));
        var nodes = new[] { alice, alice.On(cluster.Api2.BaseUrl) };

        // 160 posts at once over 4 channels and 2 nodes: most of them are committed in batches (PostWriter).
        var created = await Task.WhenAll(Enumerable.Range(0, 160).Select(i =>
            nodes[i % 2].CreatePostAsync(channels[i % 4], $"together {i}")));

        foreach (var channelId in channels)
        {
            var acknowledged = created.Where(p => (string?)p["channel_id"] == channelId).Select(p => p.Id()).Order().ToList();
            var (posts, events) = await PostsAndTheirEventsAsync(channelId);
            Assert.Equal(40, acknowledged.Count);
            Assert.Equal(acknowledged, posts.Order());
            Assert.Equal(acknowledged, events.Order());
            var channel = (await alice.GetAsync($"/api/v4/channels/{channelId}")).Expect(200).Json;
            Assert.Equal(40L, (long)channel["total_msg_count"]!);
            Assert.Equal(created.Where(p => (string?)p["channel_id"] == channelId).Max(p => (long)p["create_at"]!), (long)channel["last_post_at"]!);
        }
        // Every event carries exactly the post its creator got back.
        var sample = created[77];
        Assert.True(JsonNode.DeepEquals(sample, Assert.Single(await Log.MentioningAsync(sample.Id())).Post));
    }

    private async Task<string> SessionIdAsync(string token)
    {
        await using var connection = new NpgsqlConnection(cluster.DataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))", connection)
        {
            Parameters = { new() { Value = token } },
        };
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The channel's posts and the post ids of its posted events, read in one statement (one snapshot).</summary>
    private async Task<(List<string> Posts, List<string> Events)> PostsAndTheirEventsAsync(string channelId)
    {
        await using var connection = new NpgsqlConnection(cluster.DataSource);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT 'post', id FROM posts WHERE channel_id = $1
            UNION ALL
            SELECT 'event', (data->'data'->>'post')::jsonb->>'id' FROM cluster_events
            WHERE type = 'posted' AND data->'broadcast'->>'channel_id' = $1
            """, connection)
        {
            Parameters = { new() { Value = channelId } },
        };
        var (posts, events) = (new List<string>(), new List<string>());
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            (reader.GetString(0) == "post" ? posts : events).Add(reader.GetString(1));
        }
        return (posts, events);
    }
}
