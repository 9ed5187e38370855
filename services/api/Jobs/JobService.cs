using System.Text.Json;
using Chat.Configuration;
using Chat.Jobs.Core;
using Chat.ServiceDefaults;

namespace Chat.Api.Jobs;

public sealed record CreateJobRequest(string? Type, Dictionary<string, JsonElement>? Data);

/// <summary>
/// Mattermost's job API (manage_jobs: system admins here, as the route group demands). Jobs run on the jobs nodes;
/// this creates, lists and cancels them.
/// </summary>
public sealed class JobService(JobStore jobs, ChatConfig config)
{
    private const int MaxDataEntries = 50;

    public async Task<Job> CreateAsync(CreateJobRequest request)
    {
        var type = ValidType(request.Type);
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.Data is { } given)
        {
            if (given.Count > MaxDataEntries)
            {
                throw AppErrorException.BadRequest("api.job.create.data.app_error", $"A job's data holds at most {MaxDataEntries} entries.");
            }
            foreach (var (key, value) in given)
            {
                // Mattermost's job data is a map of strings.
                if (value.ValueKind != JsonValueKind.String || key.Length is 0 or > 64 || value.GetString()!.Length > 1024)
                {
                    throw AppErrorException.BadRequest("api.job.create.data.app_error", $"Invalid data entry '{Truncate(key)}': data is an object of strings (keys up to 64, values up to 1024 characters).");
                }
                data[key] = value.GetString()!;
            }
        }
        return await jobs.CreateAsync(type, data);
    }

    public async Task<Job> GetAsync(string jobId) => await jobs.GetAsync(jobId) ?? throw AppErrorException.NotFound("Job");

    public async Task<IReadOnlyList<Job>> ListAsync(string? type, string? status, int page, int perPage)
    {
        var validType = string.IsNullOrEmpty(type) ? null : ValidType(type);
        List<string>? statuses = null;
        if (!string.IsNullOrEmpty(status))
        {
            statuses = [.. status.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            if (statuses.Count == 0 || statuses.Any(s => !JobStatus.All.Contains(s)))
            {
                throw AppErrorException.InvalidParam("status");
            }
        }
        return await jobs.ListAsync(validType, statuses, page, perPage);
    }

    /// <summary>A pending job is canceled at once, a running one when its worker notices (cancel_requested).</summary>
    public async Task CancelAsync(string jobId)
    {
        if (await jobs.RequestCancelAsync(jobId) is null)
        {
            _ = await jobs.GetAsync(jobId) ?? throw AppErrorException.NotFound("Job");
            throw AppErrorException.BadRequest("api.job.cancel.status.app_error", "Only a pending or running job can be canceled.");
        }
    }

    /// <summary>The finished export's zip on the shared file store.</summary>
    public async Task<(string Path, string FileName)> DownloadAsync(string jobId)
    {
        var job = await jobs.GetAsync(jobId) ?? throw AppErrorException.NotFound("Job");
        if (job.Data.GetValueOrDefault("is_downloadable") != "true" || job.Data.GetValueOrDefault("export_file") is not { Length: > 0 } relative)
        {
            throw AppErrorException.BadRequest("api.job.download.not_downloadable.app_error", "This job has no file to download (only a successful message_export has one).");
        }
        // Both sides resolved as the operating system would open them: a symbolic link in the store (the file or a
        // folder on the way) must not lead the download outside it; the store's root may itself be a link.
        var root = RealPath(config.FileSettings.Directory);
        var path = root is null ? null : RealPath(Path.Combine(root, relative));
        if (root is null || path is null
            || !path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            throw AppErrorException.NotFound("Export file");
        }
        return (path, Path.GetFileName(path));
    }

    /// <summary>
    /// realpath(3): the absolute path with every symbolic link on the way followed; null when the links loop.
    /// Parts that do not exist are kept as they are (the existence check comes after).
    /// </summary>
    private static string? RealPath(string path)
    {
        var pending = new Stack<string>(Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = Path.GetPathRoot(Path.GetFullPath(path))!;
        for (var hops = 0; pending.TryPop(out var segment);)
        {
            var next = Path.Combine(current, segment);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                current = next;
                continue;
            }
            if (++hops > 40)
            {
                return null;
            }
            // The target is read relative to the link's folder; its parts are resolved in turn.
            var resolved = Path.GetFullPath(target, current);
            foreach (var part in resolved.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(part);
            }
            current = Path.GetPathRoot(resolved)!;
        }
        return current;
    }

    private static string ValidType(string? type) =>
        type is not null && JobTypes.All.Contains(type)
            ? type
            : throw AppErrorException.BadRequest("api.job.type.app_error", $"Invalid job type '{Truncate(type ?? "")}'; known types: {string.Join(", ", JobTypes.All.Order(StringComparer.Ordinal))}.");

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
