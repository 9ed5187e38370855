using Chat.Api.Authorization;
using Chat.Api.Events;
using Chat.Api.Users;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.FileStorage;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Chat.Api.Files;

/// <summary>
/// Mattermost's profile images: a generated default for everyone, a custom image uploaded by the user (or an admin
/// with edit_other_users) in the file store as users/{id}/profile.png, and back to the default. The etag follows
/// last_picture_update, so clients' cached copies (and their <c>?_=</c> URLs) change with the image.
/// </summary>
public static class ProfileImages
{
    private const long MultipartOverhead = 64 * 1024;

    public static void MapProfileImages(this RouteGroupBuilder api)
    {
        var config = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<LiveConfig>();
        var users = api.MapGroup("/users/{userId}/image").RequireAuthorization();
        users.MapGet("/", GetAsync);
        users.MapGet("/default", GetDefaultAsync);
        users.MapPost("/", SetAsync).WithMetadata(new ImageSizeLimit(config));
        users.MapDelete("/", ResetAsync);
    }

    private static async Task<IResult> GetAsync(string userId, HttpContext context, UserStore users, IFileStore store)
    {
        var user = await users.GetAsync(Input.Id(userId, "user_id")) ?? throw AppErrorException.NotFound("User");
        var etag = new EntityTagHeaderValue($"\"{user.Id}.{user.LastPictureUpdate}\"");
        context.Response.Headers.CacheControl = "max-age=86400, private";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (user.LastPictureUpdate > 0 && await store.OpenReadAsync(PathOf(user.Id), context.RequestAborted) is { } stored)
        {
            return TypedResults.Stream(stored, "image/png", entityTag: etag);
        }
        return TypedResults.Bytes(ImageProcessor.DefaultProfileImage(user.Id), "image/png", entityTag: etag);
    }

    private static async Task<FileContentHttpResult> GetDefaultAsync(string userId, HttpContext context, UserStore users)
    {
        var user = await users.GetAsync(Input.Id(userId, "user_id")) ?? throw AppErrorException.NotFound("User");
        context.Response.Headers.CacheControl = "max-age=86400, private";
        return TypedResults.Bytes(ImageProcessor.DefaultProfileImage(user.Id), "image/png");
    }

    /// <summary>
    /// POST: multipart/form-data with the image in the field "image". The upload is streamed to the file store,
    /// its header checked (FileSettings.MaxImageResolution) before it is decoded, then cropped to 128x128.
    /// </summary>
    private static async Task<Ok<StatusOk>> SetAsync(string userId, HttpContext context, Session session, UserStore users, UserService userService,
        IFileStore store, ImageProcessor images, Outbox outbox, LiveConfig config)
    {
        var id = Input.Id(userId, "user_id");
        Access.Demand(session.UserId == id || session.HasPermission(Permissions.EditOtherUsers));
        var settings = config.Current.FileSettings;
        if (context.Request.ContentLength > settings.MaxFileSize + MultipartOverhead)
        {
            throw TooLarge(settings.MaxFileSize);
        }
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw new AppErrorException(400, "api.user.upload_profile_user.parse.app_error", "Could not parse multipart form.");
        }
        var received = $"users/{id}/upload-{Guid.NewGuid():N}";
        var found = false;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!found && ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    && HeaderUtilities.RemoveQuotes(disposition.Name).Value == "image")
                {
                    await store.WriteAsync(received, section.Body, settings.MaxFileSize, context.RequestAborted);
                    found = true;
                }
            }
            if (!found)
            {
                throw new AppErrorException(400, "api.user.upload_profile_user.no_file.app_error", "No file under 'image' in request.");
            }
            byte[]? png;
            await using (var source = await store.OpenReadAsync(received, context.RequestAborted) ?? throw new IOException("The upload vanished."))
            {
                var header = await images.IdentifyAsync(source, context.RequestAborted) ?? throw Undecodable();
                if (header.Pixels > settings.MaxImageResolution)
                {
                    throw new AppErrorException(400, "api.user.upload_profile_user.large_image.app_error",
                        $"Unable to upload profile image. The image is larger than {settings.MaxImageResolution} pixels (FileSettings.MaxImageResolution).");
                }
            }
            await using (var source = await store.OpenReadAsync(received, context.RequestAborted) ?? throw new IOException("The upload vanished."))
            {
                png = await images.ProfileImageAsync(source, context.RequestAborted) ?? throw Undecodable();
            }
            await store.WriteAsync(PathOf(id), new MemoryStream(png), long.MaxValue, context.RequestAborted);
        }
        catch (FileTooLargeException)
        {
            throw TooLarge(settings.MaxFileSize);
        }
        catch (InvalidDataException e)
        {
            throw new AppErrorException(400, "api.user.upload_profile_user.parse.app_error", "Could not parse multipart form.", e.Message);
        }
        finally
        {
            if (found)
            {
                await store.DeleteAsync(received, CancellationToken.None);
            }
        }
        await SetPictureUpdateAsync(id, ChatDatabase.NowMs(), users, userService, outbox);
        return TypedResults.Ok(StatusOk.Instance);
    }

    /// <summary>DELETE: back to the generated image.</summary>
    private static async Task<Ok<StatusOk>> ResetAsync(string userId, Session session, UserStore users, UserService userService, IFileStore store, Outbox outbox)
    {
        var id = Input.Id(userId, "user_id");
        Access.Demand(session.UserId == id || session.HasPermission(Permissions.EditOtherUsers));
        await SetPictureUpdateAsync(id, -ChatDatabase.NowMs(), users, userService, outbox);
        await store.DeleteAsync(PathOf(id), CancellationToken.None);
        return TypedResults.Ok(StatusOk.Instance);
    }

    private static async Task SetPictureUpdateAsync(string userId, long at, UserStore users, UserService userService, Outbox outbox)
    {
        var saved = await outbox.WriteAsync(
            tx => users.SetPictureUpdateAsync(tx, userId, at),
            user => user is null ? [] : [WebSocketEvents.UserUpdated.Create(userService.SanitizeForOthers(user))]);
        if (saved is null)
        {
            throw AppErrorException.NotFound("User");
        }
    }

    private static string PathOf(string userId) => $"users/{userId}/profile.png";

    private static AppErrorException Undecodable() =>
        new(400, "api.user.upload_profile_user.decode.app_error", "Could not decode profile image.");

    private static AppErrorException TooLarge(long max) =>
        new(413, "api.user.upload_profile_user.too_large.app_error", $"Unable to upload profile image. File is larger than {max} bytes (FileSettings.MaxFileSize).");

    private sealed class ImageSizeLimit(LiveConfig config) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => config.Current.FileSettings.MaxFileSize + MultipartOverhead;
    }
}
