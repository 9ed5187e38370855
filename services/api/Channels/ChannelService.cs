using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.Api.Plugins;
using Chat.Api.Posts;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.Plugins.Hosting;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using PluginSdk = Chat.Plugins.Sdk;

namespace Chat.Api.Channels;

public sealed record CreateChannelRequest(string? TeamId, string? Name, string? DisplayName, string? Type, string? Purpose, string? Header);

public sealed record AddChannelMemberRequest(string? UserId);

/// <summary>Mattermost's ChannelPatch: absent (null) fields stay as they are.</summary>
public sealed record ChannelPatchRequest(string? Name, string? DisplayName, string? Purpose, string? Header);

public sealed class ChannelService(ChannelStore channels, TeamStore teams, UserStore users, Outbox outbox, PluginHooks plugins, SystemPosts systemPosts, ChatConfig config)
{
    public async Task<Channel> CreateAsync(CreateChannelRequest request, Session caller)
    {
        var teamId = Input.Id(request.TeamId, "team_id");
        var channel = new Channel { Id = Ids.New(), TeamId = teamId, Type = request.Type ?? ChannelTypes.Open, Name = (request.Name ?? "").Trim(), CreatorId = caller.UserId };
        if (channel.IsValid() is { } invalid)
        {
            throw invalid;
        }
        _ = await teams.GetAsync(teamId) ?? throw AppErrorException.NotFound("Team");
        var permission = channel.Type == ChannelTypes.Open ? Permissions.CreatePublicChannel : Permissions.CreatePrivateChannel;
        Access.Demand(caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), permission));
        if (await channels.CountForTeamAsync(teamId) >= config.TeamSettings.MaxChannelsPerTeam)
        {
            throw AppErrorException.BadRequest("api.channel.create_channel.max_channel_limit.app_error", "This team has reached its maximum number of channels.");
        }
        var now = ChatDatabase.NowMs();
        channel = channel with
        {
            CreateAt = now,
            UpdateAt = now,
            DisplayName = Input.Text(request.DisplayName, "display_name", 1, 64),
            Purpose = Input.Text(request.Purpose, "purpose", 0, 250),
            Header = Input.Text(request.Header, "header", 0, 1024),
        };
        try
        {
            return await outbox.WriteAsync(
                tx => channels.CreateAsync(tx, channel, caller.UserId),
                created => [WebSocketEvents.ChannelCreated.Create(created, caller.UserId)]);
        }
        catch (DuplicateException)
        {
            throw NameTaken();
        }
    }

    /// <summary>
    /// manage_public_channel_properties or manage_private_channel_properties (channel members and system admins by
    /// default); a direct channel's members (and system admins) change its header and purpose, its name and display
    /// name being derived from its members.
    /// </summary>
    public async Task<Channel> PatchAsync(string channelId, ChannelPatchRequest patch, Session caller)
    {
        var access = await channels.GetAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        var channel = access.Channel;
        Access.Demand(channel.IsDirect
            ? access.IsChannelMember || caller.IsSystemAdmin
            : caller.HasChannelPermission(access, channel.Type == ChannelTypes.Open ? Permissions.ManagePublicChannelProperties : Permissions.ManagePrivateChannelProperties));
        if (channel.DeleteAt != 0)
        {
            throw AppErrorException.BadRequest("api.channel.patch_update_channel.deleted.app_error", "An archived channel cannot be changed.");
        }
        if (channel.IsDirect && (patch.Name is not null || patch.DisplayName is not null))
        {
            throw AppErrorException.BadRequest("api.channel.patch_update_channel.direct.app_error", "The name of a direct message channel cannot be changed.");
        }
        var patched = channel with { Name = patch.Name is null ? channel.Name : patch.Name.Trim() };
        // Checked whole, as Mattermost's UpdateChannel does; a direct channel's name and type are the server's own.
        if (!channel.IsDirect && patched.IsValid() is { } invalid)
        {
            throw invalid;
        }
        patched = patched with
        {
            DisplayName = patch.DisplayName is null ? channel.DisplayName : Input.Text(patch.DisplayName, "display_name", 1, 64),
            Purpose = patch.Purpose is null ? channel.Purpose : Input.Text(patch.Purpose, "purpose", 0, 250),
            Header = patch.Header is null ? channel.Header : Input.Text(patch.Header, "header", 0, 1024),
        };
        try
        {
            return await outbox.WriteAsync(
                tx => channels.PatchAsync(tx, patched, ChatDatabase.NowMs()),
                saved => [WebSocketEvents.ChannelUpdated.Create(saved)]);
        }
        catch (DuplicateException)
        {
            throw NameTaken();
        }
    }

    public async Task<Channel> GetOrCreateDirectAsync(string[]? userIds, Session caller)
    {
        if (userIds is not { Length: 2 })
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", "Expected a JSON array of the two user ids.");
        }
        var (a, b) = (Input.Id(userIds[0], "user_id"), Input.Id(userIds[1], "user_id"));
        Access.Demand(caller.HasPermission(Permissions.CreateDirectChannel) && (a == caller.UserId || b == caller.UserId || caller.IsSystemAdmin));
        var found = await users.GetManyAsync(a == b ? [a] : [a, b]);
        if (found.Count != (a == b ? 1 : 2) || found.Any(u => u.DeleteAt != 0))
        {
            throw AppErrorException.NotFound("User");
        }
        return await DirectChannelAsync(a, b, caller.UserId);
    }

    /// <summary>The direct channel of two existing users, created on first use; no permission check (callers check).</summary>
    public async Task<Channel> DirectChannelAsync(string a, string b, string creatorId)
    {
        var now = ChatDatabase.NowMs();
        var candidate = new Channel { Id = Ids.New(), CreateAt = now, UpdateAt = now, Type = ChannelTypes.Direct, Name = Channel.DirectName(a, b), CreatorId = creatorId };
        // Mattermost's creator is the first user of the pair, its teammate the second.
        var (channel, _) = await outbox.WriteAsync(
            tx => channels.GetOrCreateDirectAsync(tx, candidate, a, b),
            r => r.Created ? [WebSocketEvents.DirectAdded.Create(r.Channel, a, b)] : []);
        return channel;
    }

    public async Task<Channel> GetAsync(string channelId, Session caller) => (await ReadableAsync(channelId, caller)).Channel;

    public async Task<IReadOnlyList<Channel>> GetMineInTeamAsync(string teamId, bool includeDeleted, Session caller)
    {
        Access.Demand(caller.HasTeamPermission(await teams.GetMemberAsync(teamId, caller.UserId), Permissions.ViewTeam));
        return await channels.GetForUserAsync(teamId, caller.UserId, includeDeleted);
    }

    /// <summary>
    /// Joining a public channel takes join_public_channels in its team (team members); adding anyone else, or joining
    /// a private channel, manage_public_channel_members or manage_private_channel_members (its members). Direct
    /// channels have fixed members.
    /// </summary>
    public async Task<ChannelMember> AddMemberAsync(string channelId, AddChannelMemberRequest request, Session caller)
    {
        var userId = Input.Id(request.UserId, "user_id");
        var access = await channels.GetAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        var channel = access.Channel;
        if (channel.IsDirect)
        {
            throw AppErrorException.BadRequest("api.channel.add_user_to_channel.type.app_error", "Users cannot be added to direct message channels.");
        }
        Access.Demand(channel.Type == ChannelTypes.Open && userId == caller.UserId
            ? caller.HasTeamPermission(access, Permissions.JoinPublicChannels)
            : caller.HasChannelPermission(access, channel.ManageMembersPermission()));
        if (await users.GetAsync(userId) is not { DeleteAt: 0 } user)
        {
            throw AppErrorException.NotFound("User");
        }
        if (await teams.GetMemberAsync(channel.TeamId, userId) is null)
        {
            throw AppErrorException.BadRequest("api.channel.add_user.to.channel.failed.app_error", "The user must be a member of the channel's team first.");
        }
        if (channel.DeleteAt != 0)
        {
            throw AppErrorException.BadRequest("api.channel.join_channel.already_deleted.app_error", "You cannot join an archived channel.");
        }
        var (member, added) = await outbox.WriteAsync(
            tx => channels.AddMemberAsync(tx, channelId, userId, ChatDatabase.NowMs()),
            r => r.Added ? [WebSocketEvents.UserAdded.Create(channel, userId)] : []);
        if (!added)
        {
            return member;
        }
        var actor = userId == caller.UserId ? null : await users.GetAsync(caller.UserId);
        await systemPosts.JoinedChannelAsync(user, actor, channel);
        if (plugins.AnyImplements(PluginHooks.Names.UserHasJoinedChannel))
        {
            plugins.UserHasJoinedChannel(PluginCalls.Context(caller), PluginHooks.ToPluginModel<PluginSdk.ChannelMember>(member),
                actor is null ? null : PluginHooks.ToPluginModel<PluginSdk.User>(actor));
        }
        return member;
    }

    public async Task<IReadOnlyList<ChannelMember>> GetMembersAsync(string channelId, int page, int perPage, Session caller)
    {
        await ReadableAsync(channelId, caller);
        return await channels.GetMembersAsync(channelId, page, perPage);
    }

    /// <summary>
    /// Members may leave. Removing someone else takes manage_public_channel_members or manage_private_channel_members,
    /// as in Mattermost, and, stricter than its default scheme (where every member may), also manage_channel_roles:
    /// only the channel's admins, its team's admins and system admins remove others.
    /// </summary>
    public async Task RemoveMemberAsync(string channelId, string userId, Session caller)
    {
        var access = await channels.GetAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        if (access.Channel.IsDirect)
        {
            throw AppErrorException.BadRequest("api.channel.remove_user_from_channel.type.app_error", "Users cannot be removed from direct message channels.");
        }
        Access.Demand(userId == caller.UserId
            ? access.IsChannelMember || caller.IsSystemAdmin
            : caller.HasChannelPermission(access, access.Channel.ManageMembersPermission()) && caller.HasChannelPermission(access, Permissions.ManageChannelRoles));
        if (access.Channel.Name == DefaultChannels.TownSquare)
        {
            throw AppErrorException.BadRequest("api.channel.remove.default.app_error", $"Unable to remove user from the default channel {DefaultChannels.TownSquare}.");
        }
        var removed = await outbox.WriteAsync(
            tx => channels.RemoveMemberAsync(tx, channelId, userId),
            wasMember => wasMember ? WebSocketEvents.UserRemoved.Create(access.Channel, userId, caller.UserId) : []);
        if (!removed)
        {
            throw AppErrorException.NotFound("Channel member");
        }
        // An archived channel takes no posts, its notices included.
        if (access.Channel.DeleteAt == 0 && await users.GetAsync(userId) is { } user && await users.GetAsync(caller.UserId) is { } remover)
        {
            await systemPosts.LeftAsync(user, remover, access.Channel);
        }
    }

    /// <summary>
    /// Archives a public or private channel (Mattermost's DELETE /channels/{id}): its members may (channel_user has
    /// delete_public_channel and delete_private_channel), as may system admins. Town-square is never archived. The
    /// notice is posted first, while the channel still takes posts.
    /// </summary>
    public async Task ArchiveAsync(string channelId, Session caller)
    {
        var access = await channels.GetAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        var channel = access.Channel;
        if (channel.IsDirect)
        {
            throw AppErrorException.BadRequest("api.channel.delete_channel.type.invalid", "Direct and group message channels cannot be archived.");
        }
        Access.Demand(access.IsChannelMember || caller.IsSystemAdmin);
        if (channel.DeleteAt != 0)
        {
            throw AppErrorException.BadRequest("api.channel.delete_channel.deleted.app_error", "The channel has been archived or deleted.");
        }
        if (channel.Name == DefaultChannels.TownSquare)
        {
            throw AppErrorException.BadRequest("api.channel.delete_channel.cannot.app_error", $"Unable to delete the default channel {DefaultChannels.TownSquare}.");
        }
        if (await users.GetAsync(caller.UserId) is { } archiver)
        {
            await systemPosts.ArchivedAsync(archiver, channel);
        }
        _ = await outbox.WriteAsync(
            tx => channels.ArchiveAsync(tx, channelId, ChatDatabase.NowMs()),
            archived => archived is null ? [] : [WebSocketEvents.ChannelDeleted.Create(archived, archived.DeleteAt)])
            ?? throw AppErrorException.BadRequest("api.channel.delete_channel.deleted.app_error", "The channel has been archived or deleted.");
    }

    public async Task<ChannelAccess> ReadableAsync(string channelId, Session caller)
    {
        var access = await channels.GetAccessAsync(channelId, caller.UserId) ?? throw AppErrorException.NotFound("Channel");
        Access.Demand(access.CanRead(caller));
        return access;
    }

    private static AppErrorException NameTaken() =>
        AppErrorException.BadRequest("store.sql_channel.save_channel.exists.app_error", "A channel with that name already exists on the same team.");
}
