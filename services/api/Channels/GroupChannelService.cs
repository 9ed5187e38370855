using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.ClientEvents;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Channels;

/// <summary>
/// Group messages (Mattermost's POST /channels/group): a channel of 3 to 8 users, the caller among them, outside any
/// team. Its name derives from the members (<see cref="Channel.GroupName"/>), so asking again for the same users
/// finds the same channel. Every user may create one (create_group_channel is in system_user and system_guest).
/// </summary>
public sealed class GroupChannelService(ChannelStore channels, UserStore users, Outbox outbox)
{
    private const int MinMembers = 3;
    private const int MaxMembers = 8;

    public async Task<Channel> GetOrCreateAsync(string[]? userIds, Session caller)
    {
        if (userIds is not { Length: > 0 })
        {
            throw AppErrorException.InvalidParam("user_ids");
        }
        var members = userIds.Select(id => Input.Id(id, "user_id")).Append(caller.UserId).Distinct().ToList();
        if (members.Count is < MinMembers or > MaxMembers)
        {
            throw AppErrorException.BadRequest("api.channel.create_group.bad_size.app_error", $"Group message channels must contain {MinMembers} to {MaxMembers} users.");
        }
        var found = await users.GetManyAsync(members);
        if (found.Count != members.Count || found.Any(u => u.DeleteAt != 0))
        {
            throw AppErrorException.BadRequest("api.channel.create_group.bad_user.app_error", "One of the provided users does not exist or is deactivated.");
        }
        var now = ChatDatabase.NowMs();
        var candidate = new Channel
        {
            Id = Ids.New(),
            CreateAt = now,
            UpdateAt = now,
            Type = ChannelTypes.Group,
            Name = Channel.GroupName(members),
            DisplayName = Channel.GroupDisplayName(found.Select(u => u.Username)),
        };
        var (channel, _) = await outbox.WriteAsync(
            tx => channels.GetOrCreateGroupAsync(tx, candidate, members),
            r => r.Created ? [WebSocketEvents.GroupAdded.Create(r.Channel, members)] : []);
        return channel;
    }
}
