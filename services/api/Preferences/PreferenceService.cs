using System.Text.RegularExpressions;
using Chat.Api.Authorization;
using Chat.Api.Channels;
using Chat.Api.Events;
using Chat.ClientEvents;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;

namespace Chat.Api.Preferences;

/// <summary>A preference as a client sends it; absent fields are empty, which the model's rules refuse.</summary>
public sealed record PreferenceRequest(string? UserId, string? Category, string? Name, string? Value);

/// <summary>
/// Users read and change their own preferences; edit_other_users (system admins) anyone's. Changes reach the user's
/// other sessions as preferences_changed / preferences_deleted.
/// </summary>
public sealed partial class PreferenceService(PreferenceStore preferences, PostStore posts, ChannelService channels, Outbox outbox)
{
    private const int MaxPerRequest = 100;

    public Task<IReadOnlyList<Preference>> GetAllAsync(string userId, Session caller)
    {
        DemandUser(userId, caller);
        return preferences.GetAllAsync(userId);
    }

    public async Task<IReadOnlyList<Preference>> GetCategoryAsync(string userId, string category, Session caller)
    {
        DemandUser(userId, caller);
        if (!CategoryPattern().IsMatch(category))
        {
            throw AppErrorException.InvalidParam("category");
        }
        var found = await preferences.GetCategoryAsync(userId, category);
        return found.Count > 0
            ? found
            : throw new AppErrorException(404, "api.preference.preferences_category.get.app_error", "Unable to find preferences in that category.");
    }

    /// <summary>
    /// Saves (inserts or replaces) the preferences, all of the path's user. As in Mattermost, a flagged post must be
    /// one the caller can read. When a request names a preference twice, the last value wins.
    /// </summary>
    public async Task UpdateAsync(string userId, PreferenceRequest[]? body, Session caller)
    {
        DemandUser(userId, caller);
        var list = Parse(body);
        foreach (var flagged in list.Where(p => p.Category == Preference.FlaggedPost))
        {
            var post = Ids.IsValid(flagged.Name) ? await posts.GetAsync(flagged.Name) : null;
            await channels.ReadableAsync((post ?? throw AppErrorException.InvalidParam("preference.name")).ChannelId, caller);
        }
        DemandOwn(list, userId, "api.preference.update_preferences.set.app_error");
        foreach (var preference in list)
        {
            if (preference.IsValid() is { } invalid)
            {
                throw invalid;
            }
        }
        IReadOnlyList<Preference> saved = [.. list.GroupBy(p => (p.Category, p.Name)).Select(g => g.Last())];
        await outbox.WriteAsync(
            async tx =>
            {
                await preferences.SaveAsync(tx, saved);
                return saved;
            },
            s => [WebSocketEvents.PreferencesChanged.Create(userId, s)]);
    }

    public async Task DeleteAsync(string userId, PreferenceRequest[]? body, Session caller)
    {
        DemandUser(userId, caller);
        var list = Parse(body);
        DemandOwn(list, userId, "api.preference.delete_preferences.delete.app_error");
        await outbox.WriteAsync(
            async tx =>
            {
                await preferences.DeleteAsync(tx, list);
                return list;
            },
            deleted => [WebSocketEvents.PreferencesDeleted.Create(userId, deleted)]);
    }

    private static void DemandUser(string userId, Session caller) =>
        Access.Demand(caller.UserId == userId || caller.HasPermission(Permissions.EditOtherUsers));

    private static List<Preference> Parse(PreferenceRequest[]? body)
    {
        if (body is not { Length: > 0 and <= MaxPerRequest } || body.Any(p => p is null))
        {
            throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", $"Expected a JSON array of 1 to {MaxPerRequest} preferences.");
        }
        return [.. body.Select(p => new Preference { UserId = p.UserId ?? "", Category = p.Category ?? "", Name = p.Name ?? "", Value = p.Value ?? "" })];
    }

    /// <summary>Every preference must be the path's user's: a 403 otherwise, as Mattermost answers.</summary>
    private static void DemandOwn(List<Preference> list, string userId, string errorId)
    {
        if (list.Any(p => p.UserId != userId))
        {
            throw new AppErrorException(403, errorId, "Preferences can only be changed for the user they belong to.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_]{1,32}$")]
    private static partial Regex CategoryPattern();
}
