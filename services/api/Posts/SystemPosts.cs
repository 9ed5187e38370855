using System.Text.Json;
using Chat.Store.Model;

namespace Chat.Api.Posts;

/// <summary>
/// The posts the server writes when people join, leave or are added to and removed from teams and channels, and
/// when a channel is archived: Mattermost's system post types with their props, by the acting user. They go through
/// the post path (<see cref="PostWriter"/>), so they are counted in the channel and sent as <c>posted</c> events
/// like any post. The change they report is already committed; a post that cannot be written is logged, not
/// turned into a failure of that change.
/// </summary>
public sealed partial class SystemPosts(PostWriter writer, ILogger<SystemPosts> logger)
{
    public const string JoinChannel = "system_join_channel";
    public const string LeaveChannel = "system_leave_channel";
    public const string AddToChannel = "system_add_to_channel";
    public const string RemoveFromChannel = "system_remove_from_channel";
    public const string JoinTeam = "system_join_team";
    public const string AddToTeam = "system_add_to_team";
    public const string ChannelDeleted = "system_channel_deleted";

    /// <summary>A user joined <paramref name="channel"/>, or <paramref name="adder"/> (when not null nor the user) added them.</summary>
    public Task JoinedChannelAsync(User user, User? adder, Channel channel) => JoinedAsync(user, adder, channel, "channel", JoinChannel, AddToChannel);

    /// <summary>The same for joining a team, reported in its town-square.</summary>
    public Task JoinedTeamAsync(User user, User? adder, Channel townSquare) => JoinedAsync(user, adder, townSquare, "team", JoinTeam, AddToTeam);

    /// <summary>A user left <paramref name="channel"/>, or <paramref name="remover"/> removed them.</summary>
    public Task LeftAsync(User user, User remover, Channel channel) =>
        remover.Id == user.Id
            // "@username" as Mattermost writes it; clients render their own text from the props.
            ? WriteAsync(user, channel, LeaveChannel, $"@{user.Username} left the channel.", new() { ["username"] = user.Username })
            : WriteAsync(remover, channel, RemoveFromChannel, $"@{user.Username} removed from the channel.",
                new() { ["removedUserId"] = user.Id, ["removedUsername"] = user.Username });

    /// <summary>The notice that <paramref name="user"/> archived the channel, posted before the archive takes effect.</summary>
    public Task ArchivedAsync(User user, Channel channel) =>
        WriteAsync(user, channel, ChannelDeleted, $"{user.Username} archived the channel.", new() { ["username"] = user.Username });

    private Task JoinedAsync(User user, User? adder, Channel channel, string what, string joinType, string addType) =>
        adder is null || adder.Id == user.Id
            ? WriteAsync(user, channel, joinType, $"{user.Username} joined the {what}.", new() { ["username"] = user.Username })
            : WriteAsync(adder, channel, addType, $"{user.Username} added to the {what} by {adder.Username}.",
                new() { ["userId"] = adder.Id, ["username"] = adder.Username, ["addedUserId"] = user.Id, ["addedUsername"] = user.Username });

    private async Task WriteAsync(User author, Channel channel, string type, string message, Dictionary<string, string> props)
    {
        var post = new Post
        {
            Id = Ids.New(),
            UserId = author.Id,
            ChannelId = channel.Id,
            Type = type,
            Message = message,
            Props = props.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value)),
        };
        var sender = new Session { Id = "", UserId = author.Id, Roles = author.Roles, Username = author.Username, CsrfToken = "" };
        try
        {
            await writer.CreateAsync(post, channel, sender);
        }
        catch (Exception e)
        {
            LogNotWritten(e, type, channel.Id);
        }
    }

    [LoggerMessage(LogLevel.Warning, "The {Type} post of channel {ChannelId} could not be written")]
    private partial void LogNotWritten(Exception e, string type, string channelId);
}
