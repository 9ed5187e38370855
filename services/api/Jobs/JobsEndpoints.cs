using Chat.Api.Authorization;
using Chat.Jobs.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Chat.Api.Jobs;

public static class JobsEndpoints
{
    public static void MapJobs(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").RequireSystemAdmin();
        jobs.MapGet("/", ListAsync);
        jobs.MapPost("/", CreateAsync);
        jobs.MapGet("/type/{type}", ListByTypeAsync);
        jobs.MapGet("/{jobId}", GetAsync);
        jobs.MapPost("/{jobId}/cancel", CancelAsync);
        jobs.MapGet("/{jobId}/download", DownloadAsync);
    }

    private static async Task<Ok<IReadOnlyList<Job>>> ListAsync(
        int? page, [FromQuery(Name = "per_page")] int? perPage, [FromQuery(Name = "job_type")] string? jobType, string? status,
        JobService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.ListAsync(jobType, status, p, pp));
    }

    private static async Task<Ok<IReadOnlyList<Job>>> ListByTypeAsync(
        string type, int? page, [FromQuery(Name = "per_page")] int? perPage, JobService service)
    {
        var (p, pp) = Input.Paging(page, perPage);
        return TypedResults.Ok(await service.ListAsync(type, null, p, pp));
    }

    private static async Task<Created<Job>> CreateAsync(CreateJobRequest? body, JobService service)
    {
        var job = await service.CreateAsync(Input.Body(body));
        return TypedResults.Created($"/api/v4/jobs/{job.Id}", job);
    }

    private static async Task<Ok<Job>> GetAsync(string jobId, JobService service) =>
        TypedResults.Ok(await service.GetAsync(Input.Id(jobId, "job_id")));

    private static async Task<Ok<StatusOk>> CancelAsync(string jobId, JobService service)
    {
        await service.CancelAsync(Input.Id(jobId, "job_id"));
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task<PhysicalFileHttpResult> DownloadAsync(string jobId, JobService service)
    {
        var (path, fileName) = await service.DownloadAsync(Input.Id(jobId, "job_id"));
        return TypedResults.PhysicalFile(path, "application/zip", fileName);
    }
}
