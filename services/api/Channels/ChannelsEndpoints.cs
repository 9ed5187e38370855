using Chat.Api.Authorization;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Channels;

public static class ChannelsEndpoints
{
    public static void MapChannels(this RouteGroupBuilder api)
    {
        var channels = api.MapGroup("/channels").RequireAuthorization();
        channels.MapPost("/", CreateAsync);
        channels.MapPost("/direct", CreateDirectAsync);
        channels.MapPost("/group", CreateGroupAsync);
        channels.MapGet("/{channelId}", GetAsync);
        channels.MapPut("/{channelId}/patch", PatchAsync);
        channels.MapDelete("/{channelId}", ArchiveAsync);
        channels.MapPost("/{channelId}/members", AddMemberAsync);
        channels.MapGet("/{channelId}/members", GetMembersAsync);
        channels.MapDelete("/{channelId}/members/{userId}", RemoveMemberAsync);

        api.MapGet("/users/me/teams/{teamId}/channels", GetMineInTeamAsync).RequireAuthorization();

        var inTeams = api.MapGroup("/teams").RequireAuthorization();
        inTeams.MapGet("/{teamId}/channels", GetPublicAsync);
        inTeams.MapPost("/{teamId}/channels/search", SearchPublicAsync);
        inTeams.MapGet("/{teamId}/channels/name/{channelName}", GetByNameAsync);
        inTeams.MapGet("/name/{teamName}/channels/name/{channelName}", GetByTeamNameAsync);
    }

    private static async Task<Created<Channel>> CreateAsync(CreateChannelRequest? body, Session session, ChannelService service)
    {
        var channel = await service.CreateAsync(Input.Body(body), session);
        return TypedResults.Created($"/api/v4/channels/{channel.Id}", channel);
    }

    private static async Task<Created<Channel>> CreateDirectAsync(string[]? body, Session session, ChannelService service)
    {
        var channel = await service.GetOrCreateDirectAsync(body, session);
        return TypedResults.Created($"/api/v4/channels/{channel.Id}", channel);
    }

    private static async Task<Created<Channel>> CreateGroupAsync(string[]? body, Session session, GroupChannelService service)
    {
        var channel = await service.GetOrCreateAsync(body, session);
        return TypedResults.Created($"/api/v4/channels/{channel.Id}", channel);
    }

    private static async Task<Ok<StatusOk>> ArchiveAsync(string channelId, Session session, ChannelService service)
    {
        await service.ArchiveAsync(Input.Id(channelId, "channel_id"), session);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<Ok<IReadOnlyList<Channel>>> GetPublicAsync(string teamId, int? page, [FromQuery(Name = "per_page")] int? perPage, Session session, ChannelDirectoryService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.GetPublicAsync(Input.Id(teamId, "team_id"), p, pp, session));
    }

    private static async Task<Ok<IReadOnlyList<Channel>>> SearchPublicAsync(string teamId, ChannelSearchRequest? body, Session session, ChannelDirectoryService service) =>
        TypedResults.Ok(await service.SearchPublicAsync(Input.Id(teamId, "team_id"), Input.Body(body), session));

    private static async Task<Ok<Channel>> GetByNameAsync(string teamId, string channelName, [FromQuery(Name = "include_deleted")] bool? includeDeleted, Session session, ChannelDirectoryService service) =>
        TypedResults.Ok(await service.GetByNameAsync(Input.Id(teamId, "team_id"), channelName, includeDeleted == true, session));

    private static async Task<Ok<Channel>> GetByTeamNameAsync(string teamName, string channelName, [FromQuery(Name = "include_deleted")] bool? includeDeleted, Session session, ChannelDirectoryService service) =>
        TypedResults.Ok(await service.GetByTeamNameAsync(teamName, channelName, includeDeleted == true, session));

    private static async Task<Ok<Channel>> GetAsync(string channelId, Session session, ChannelService service) =>
        TypedResults.Ok(await service.GetAsync(Input.Id(channelId, "channel_id"), session));

    private static async Task<Ok<Channel>> PatchAsync(string channelId, ChannelPatchRequest? body, Session session, ChannelService service) =>
        TypedResults.Ok(await service.PatchAsync(Input.Id(channelId, "channel_id"), Input.Body(body), session));

    private static async Task<Ok<IReadOnlyList<Channel>>> GetMineInTeamAsync(string teamId, [FromQuery(Name = "include_deleted")] bool? includeDeleted, Session session, ChannelService service) =>
        TypedResults.Ok(await service.GetMineInTeamAsync(Input.Id(teamId, "team_id"), includeDeleted ?? false, session));

    private static async Task<Created<ChannelMember>> AddMemberAsync(string channelId, AddChannelMemberRequest? body, Session session, ChannelService service)
    {
        var member = await service.AddMemberAsync(Input.Id(channelId, "channel_id"), Input.Body(body), session);
        return TypedResults.Created($"/api/v4/channels/{channelId}/members/{member.UserId}", member);
    }

    private static async Task<Ok<IReadOnlyList<ChannelMember>>> GetMembersAsync(string channelId, int? page, [FromQuery(Name = "per_page")] int? perPage, Session session, ChannelService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.GetMembersAsync(Input.Id(channelId, "channel_id"), p, pp, session));
    }

    private static async Task<Ok<StatusOk>> RemoveMemberAsync(string channelId, string userId, Session session, ChannelService service)
    {
        await service.RemoveMemberAsync(Input.Id(channelId, "channel_id"), Input.Id(userId, "user_id"), session);
        return TypedResults.Ok(StatusOk.Instance);
    }
}
