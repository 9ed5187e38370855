using Chat.Api.Authorization;
using Chat.Jobs.Core;
using Chat.ServiceDefaults;
using Chat.Store.Postgres;
using Dapper;
using Npgsql;

namespace Chat.Api.DataRetention;

public sealed record CreateRetentionPolicyRequest(string? DisplayName, long? PostDuration, List<string>? TeamIds, List<string>? ChannelIds);

/// <summary>Mattermost's GET /data_retention/policies answer.</summary>
public sealed record RetentionPolicyList(IReadOnlyList<RetentionPolicy> Policies, long TotalCount);

/// <summary>Granular data retention policies (system admins, as the route group demands); the data_retention job applies them.</summary>
public sealed class DataRetentionService(RetentionPolicyStore policies, NpgsqlDataSource db)
{
    private const int MaxTargets = 1000;

    public async Task<RetentionPolicy> CreateAsync(CreateRetentionPolicyRequest request)
    {
        var name = Input.Text(request.DisplayName, "display_name", 1, 64);
        var duration = request.PostDuration ?? throw AppErrorException.InvalidParam("post_duration");
        if (duration is < -1 or > 365_000)
        {
            throw AppErrorException.InvalidParam("post_duration");
        }
        var teams = Targets(request.TeamIds, "team_ids");
        var channels = Targets(request.ChannelIds, "channel_ids");
        await RequireExistingAsync("teams", teams, "team_ids");
        await RequireExistingAsync("channels", channels, "channel_ids");
        try
        {
            return await policies.CreateAsync(name, duration, teams, channels);
        }
        catch (DuplicateException)
        {
            throw AppErrorException.BadRequest("api.data_retention.policy.duplicate.app_error", "A team or channel of this policy already belongs to another policy.");
        }
    }

    public async Task<RetentionPolicy> GetAsync(string policyId) =>
        await policies.GetAsync(policyId) ?? throw AppErrorException.NotFound("Data retention policy");

    public async Task<RetentionPolicyList> ListAsync(int page, int perPage)
    {
        var (list, total) = await policies.ListAsync(page, perPage);
        return new RetentionPolicyList(list, total);
    }

    public async Task DeleteAsync(string policyId)
    {
        if (!await policies.DeleteAsync(policyId))
        {
            throw AppErrorException.NotFound("Data retention policy");
        }
    }

    private static List<string> Targets(List<string>? ids, string name)
    {
        var list = (ids ?? []).Select(id => Input.Id(id, name)).Distinct(StringComparer.Ordinal).ToList();
        return list.Count <= MaxTargets ? list : throw AppErrorException.BadRequest("api.data_retention.policy.too_many.app_error", $"At most {MaxTargets} {name} per request.");
    }

    private async Task RequireExistingAsync(string table, List<string> ids, string name)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await db.OpenConnectionAsync();
        var found = await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table} WHERE id = ANY(@ids) AND delete_at = 0", new { ids = ids.ToArray() });
        if (found != ids.Count)
        {
            throw AppErrorException.BadRequest("api.data_retention.policy.unknown_target.app_error", $"Some of the {name} do not exist.");
        }
    }
}
