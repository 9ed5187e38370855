using Chat.Api.Authorization;
using Chat.Jobs.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.DataRetention;

public static class DataRetentionEndpoints
{
    public static void MapDataRetention(this RouteGroupBuilder api)
    {
        var policies = api.MapGroup("/data_retention/policies").RequireSystemAdmin();
        policies.MapGet("/", ListAsync);
        policies.MapPost("/", CreateAsync);
        policies.MapGet("/{policyId}", GetAsync);
        policies.MapDelete("/{policyId}", DeleteAsync);
    }

    private static async Task<Ok<RetentionPolicyList>> ListAsync(int? page, [FromQuery(Name = "per_page")] int? perPage, DataRetentionService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.ListAsync(p, pp));
    }

    private static async Task<Created<RetentionPolicy>> CreateAsync(CreateRetentionPolicyRequest? body, DataRetentionService service)
    {
        var policy = await service.CreateAsync(Input.Body(body));
        return TypedResults.Created($"/api/v4/data_retention/policies/{policy.Id}", policy);
    }

    private static async Task<Ok<RetentionPolicy>> GetAsync(string policyId, DataRetentionService service) =>
        TypedResults.Ok(await service.GetAsync(Input.Id(policyId, "policy_id")));

    private static async Task<Ok<StatusOk>> DeleteAsync(string policyId, DataRetentionService service)
    {
        await service.DeleteAsync(Input.Id(policyId, "policy_id"));
        return TypedResults.Ok(StatusOk.Instance);
    }
}
