using Chat.Api.Authorization;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using FileInfo = Chat.Store.Model.FileInfo;

namespace Chat.Api.Files;

public static class FilesEndpoints
{
    /// <summary>Files one request may carry (the most one post may have).</summary>
    public const int MaxFilesPerRequest = Chat.Store.Postgres.FileInfoStore.MaxFilesPerPost;

    /// <summary>Room for the multipart framing and form fields around the files.</summary>
    private const long MultipartOverhead = 64 * 1024;

    private const int MaxFieldBytes = 4 * 1024;

    public static void MapFiles(this RouteGroupBuilder api)
    {
        var config = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<LiveConfig>();
        var files = api.MapGroup("/files");
        files.MapPost("/", UploadAsync).RequireAuthorization().WithMetadata(new UploadSizeLimit(config));
        files.MapGet("/{fileId}", GetAsync).RequireAuthorization();
        files.MapGet("/{fileId}/info", GetInfoAsync).RequireAuthorization();
        files.MapGet("/{fileId}/thumbnail", GetThumbnailAsync).RequireAuthorization();
        files.MapGet("/{fileId}/preview", GetPreviewAsync).RequireAuthorization();
        files.MapGet("/{fileId}/link", GetLinkAsync).RequireAuthorization();
        files.MapGet("/{fileId}/public", GetPublicAsync);
        api.MapGet("/posts/{postId}/files/info", GetForPostAsync).RequireAuthorization();
    }

    /// <summary>Mattermost's public link route lives outside the API: {SiteURL}/files/{id}/public?h=...</summary>
    public static void MapPublicFiles(this IEndpointRouteBuilder app) => app.MapGet("/files/{fileId}/public", GetPublicAsync);

    /// <summary>
    /// POST /files: multipart/form-data (channel_id, optional client_ids, one or more files), or the file as the
    /// body with channel_id and filename in the query. 201 with {file_infos, client_ids}. A file sent again with the
    /// client id of an upload not yet attached to a post answers that upload (see FileService.FirstForClientIdAsync).
    /// </summary>
    private static async Task<Created<FileUploadResponse>> UploadAsync(HttpContext context, Session session, FileService service)
    {
        service.DemandUploadsEnabled();
        var request = context.Request;
        var response = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? await UploadMultipartAsync(context, type, session, service)
            : await UploadSimpleAsync(context, session, service);
        return TypedResults.Created("/api/v4/files", response);
    }

    private static async Task<FileUploadResponse> UploadSimpleAsync(HttpContext context, Session session, FileService service)
    {
        var query = context.Request.Query;
        var channelId = Input.Id(query["channel_id"], "channel_id");
        var filename = query["filename"].ToString();
        if (filename.Length == 0)
        {
            throw AppErrorException.InvalidParam("filename");
        }
        if (context.Request.ContentLength == 0)
        {
            throw AppErrorException.BadRequest("api.file.upload_file.read_request.app_error", "Unable to upload file(s). Error reading or parsing request data.", "Content-Length should not be 0");
        }
        var clientId = query["client_id"].ToString();
        if (clientId.Length > 64)
        {
            throw AppErrorException.InvalidParam("client_id");
        }
        await service.DemandUploadAsync(channelId, session);
        if (context.Request.ContentLength > service.MaxFileSize)
        {
            throw service.TooLarge(filename);
        }
        var info = await service.UploadAsync(channelId, filename, context.Request.Body, session, context.RequestAborted);
        return new FileUploadResponse([await service.FirstForClientIdAsync(info, clientId)], clientId.Length > 0 ? [clientId] : []);
    }

    /// <summary>
    /// Streams the form: fields are small and read as they come; each file goes straight to the file store once
    /// channel_id is known. A file that arrives before channel_id (clients may order fields freely) is first
    /// spooled to a temporary file on this node, never to memory, and stored when the channel is known.
    /// </summary>
    private static async Task<FileUploadResponse> UploadMultipartAsync(HttpContext context, MediaTypeHeaderValue type, Session session, FileService service)
    {
        if (HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw ReadError("The multipart/form-data boundary is missing.");
        }
        var cancellation = context.RequestAborted;
        var channelId = context.Request.Query["channel_id"].ToString() is { Length: > 0 } fromQuery ? Input.Id(fromQuery, "channel_id") : null;
        var permitted = false;
        var clientIds = new List<string>();
        var infos = new List<FileInfo>();
        var spooled = new List<(string Name, string TempPath)>();
        var fileCount = 0;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body)
            {
                HeadersCountLimit = 16,
                HeadersLengthLimit = 16 * 1024,
                // Each file's own limit is checked while it is stored, with its own error.
                BodyLengthLimit = null,
            };
            while (await reader.ReadNextSectionAsync(cancellation) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var formName = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (!disposition.IsFileDisposition())
                {
                    var value = await ReadFieldAsync(section.Body, formName, cancellation);
                    switch (formName)
                    {
                        case "channel_id":
                            var id = Input.Id(value, "channel_id");
                            if (channelId is not null && channelId != id)
                            {
                                throw AppErrorException.BadRequest("api.file.upload_file.multiple_channel_ids.app_error", "Unable to upload file(s). Multiple conflicting channel_ids.");
                            }
                            channelId = id;
                            break;
                        case "client_ids":
                            if (value.Length > 64 || clientIds.Count >= MaxFilesPerRequest)
                            {
                                throw AppErrorException.InvalidParam("client_ids");
                            }
                            clientIds.Add(value);
                            break;
                        default:
                            throw AppErrorException.InvalidParam(formName.Length == 0 ? "form field" : formName);
                    }
                    continue;
                }
                if (++fileCount > MaxFilesPerRequest)
                {
                    throw AppErrorException.BadRequest("api.file.upload_file.too_many_files.app_error", $"Unable to upload more than {MaxFilesPerRequest} files in one request.");
                }
                var filename = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                if (channelId is null)
                {
                    spooled.Add((filename, await SpoolAsync(section.Body, filename, service, cancellation)));
                    continue;
                }
                if (!permitted)
                {
                    await service.DemandUploadAsync(channelId, session);
                    permitted = true;
                }
                infos.Add(await service.UploadAsync(channelId, filename, section.Body, session, cancellation));
            }
            if (channelId is null)
            {
                throw AppErrorException.InvalidParam("channel_id");
            }
            if (spooled.Count > 0)
            {
                if (!permitted)
                {
                    await service.DemandUploadAsync(channelId, session);
                }
                // Spooled files came first in the form.
                var first = new List<FileInfo>();
                foreach (var (name, temporary) in spooled)
                {
                    await using var file = File.OpenRead(temporary);
                    first.Add(await service.UploadAsync(channelId, name, file, session, cancellation));
                }
                infos.InsertRange(0, first);
            }
        }
        catch (Exception e) when ((e is IOException or InvalidDataException) && e is not BadHttpRequestException)
        {
            throw ReadError(e.Message);
        }
        finally
        {
            foreach (var (_, temporary) in spooled)
            {
                File.Delete(temporary);
            }
        }
        if (infos.Count == 0)
        {
            throw AppErrorException.BadRequest("api.file.upload_file.read_request.app_error", "Unable to upload file(s). No files in the request.");
        }
        if (clientIds.Count > 0 && clientIds.Count != infos.Count)
        {
            throw AppErrorException.BadRequest("api.file.upload_file.incorrect_number_of_client_ids.app_error",
                $"Unable to upload file(s). Have {clientIds.Count} client_ids for {infos.Count} files.");
        }
        // Client ids pair with the files in order; they may come after the files they name.
        for (var i = 0; i < clientIds.Count; i++)
        {
            infos[i] = await service.FirstForClientIdAsync(infos[i], clientIds[i]);
        }
        return new FileUploadResponse(infos, clientIds);
    }

    private static async Task<string> SpoolAsync(Stream body, string filename, FileService service, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"chat-upload-{Guid.NewGuid():N}");
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 128 * 1024, FileOptions.Asynchronous);
            var buffer = new byte[128 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > service.MaxFileSize)
                {
                    throw service.TooLarge(filename);
                }
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        if (length > MaxFieldBytes)
        {
            throw new AppErrorException(400, "api.file.upload_file.read_form_value.app_error", $"Unable to read the form value {name}.");
        }
        return global::System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Go's strconv.ParseBool truth, which Mattermost's download=1 relies on.</summary>
    private static bool IsTrue(string? value) => value is "1" or "t" or "T" or "true" or "TRUE" or "True";

    private static AppErrorException ReadError(string detail) =>
        AppErrorException.BadRequest("api.file.upload_file.read_request.app_error", "Unable to upload file(s). Error reading or parsing request data.", detail);

    private static async Task<IResult> GetAsync(string fileId, [FromQuery(Name = "download")] string? download, HttpContext context, Session session, FileService service)
    {
        var info = await service.ReadableAsync(Input.Id(fileId, "file_id"), session);
        return await ServeAsync(context, service, info, info.Path, info.MimeType, IsTrue(download));
    }

    private static async Task<IResult> GetThumbnailAsync(string fileId, [FromQuery(Name = "download")] string? download, HttpContext context, Session session, FileService service)
    {
        var info = await service.ReadableAsync(Input.Id(fileId, "file_id"), session);
        if (info.ThumbnailPath.Length == 0)
        {
            throw AppErrorException.BadRequest("api.file.get_file_thumbnail.no_thumbnail.app_error", "File doesn't have a thumbnail image.", $"file_id={info.Id}");
        }
        return await ServeAsync(context, service, info, info.ThumbnailPath, "image/jpeg", IsTrue(download));
    }

    private static async Task<IResult> GetPreviewAsync(string fileId, [FromQuery(Name = "download")] string? download, HttpContext context, Session session, FileService service)
    {
        var info = await service.ReadableAsync(Input.Id(fileId, "file_id"), session);
        if (info.PreviewPath.Length == 0)
        {
            throw AppErrorException.BadRequest("api.file.get_file_preview.no_preview.app_error", "File doesn't have a preview image.", $"file_id={info.Id}");
        }
        return await ServeAsync(context, service, info, info.PreviewPath, "image/jpeg", IsTrue(download));
    }

    private static async Task<Ok<FileInfo>> GetInfoAsync(string fileId, HttpContext context, Session session, FileService service)
    {
        var info = await service.ReadableAsync(Input.Id(fileId, "file_id"), session);
        context.Response.Headers.CacheControl = "max-age=2592000, private";
        return TypedResults.Ok(info);
    }

    private static async Task<Ok<Dictionary<string, string>>> GetLinkAsync(string fileId, HttpContext context, Session session, FileService service)
    {
        var id = Input.Id(fileId, "file_id");
        service.DemandPublicLinks();
        var info = await service.ReadableAsync(id, session);
        if (info.PostId.Length == 0)
        {
            throw AppErrorException.BadRequest("api.file.get_public_link.no_post.app_error", "Unable to get public link for file. File must be attached to a post that can be read by the current user.", $"file_id={info.Id}");
        }
        var request = context.Request;
        var link = $"{request.Scheme}://{request.Host}{request.PathBase}/files/{info.Id}/public?h={service.PublicLinkHash(info.Id)}";
        return TypedResults.Ok(new Dictionary<string, string> { ["link"] = link });
    }

    private static async Task<IResult> GetPublicAsync(string fileId, [FromQuery(Name = "h")] string? hash, HttpContext context, FileService service)
    {
        var info = await service.PublicAsync(Input.Id(fileId, "file_id"), hash);
        return await ServeAsync(context, service, info, info.Path, info.MimeType, forceDownload: false);
    }

    private static async Task<Ok<IReadOnlyList<FileInfo>>> GetForPostAsync(
        string postId, [FromQuery(Name = "include_deleted")] bool? includeDeleted, HttpContext context, Session session, FileService service)
    {
        var infos = await service.ForPostAsync(Input.Id(postId, "post_id"), includeDeleted == true, session);
        context.Response.Headers.CacheControl = "max-age=2592000, private";
        return TypedResults.Ok(infos);
    }

    /// <summary>
    /// Mattermost's WriteFileResponse: media a browser shows safely go inline, everything else (HTML, SVG, scripts)
    /// as an attachment; no sniffing, no framing; ranges for large files.
    /// </summary>
    private static async Task<IResult> ServeAsync(HttpContext context, FileService service, FileInfo info, string path, string mimeType, bool forceDownload)
    {
        var stream = await service.OpenAsync(path, context.RequestAborted)
            ?? throw new AppErrorException(404, "api.file.file_reader.app_error", "The file is missing from the file store.");
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = "Frame-ancestors 'none'";
        headers.CacheControl = "private, no-cache";
        var disposition = new ContentDispositionHeaderValue(forceDownload || !FileService.IsInline(mimeType) ? "attachment" : "inline");
        disposition.SetHttpFileName(info.Name);
        headers.ContentDisposition = disposition.ToString();
        return TypedResults.Stream(stream, mimeType.Length > 0 ? mimeType : "application/octet-stream",
            lastModified: DateTimeOffset.FromUnixTimeMilliseconds(info.UpdateAt), enableRangeProcessing: stream.CanSeek);
    }

    /// <summary>Uploads are far larger than API bodies: the files plus their framing, FileSettings.MaxFileSize each, read live.</summary>
    private sealed class UploadSizeLimit(LiveConfig config) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => config.Current.FileSettings.MaxFileSize * MaxFilesPerRequest + MultipartOverhead;
    }
}
