using System.Security.Cryptography;
using System.Text;
using Chat.Api.Authorization;
using Chat.Configuration;
using Chat.FileStorage;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Microsoft.AspNetCore.StaticFiles;
using FileInfo = Chat.Store.Model.FileInfo;

namespace Chat.Api.Files;

/// <summary>
/// Uploads and reads of files (Mattermost's app/file.go): each upload is streamed to the shared file store (never
/// held in memory), measured against FileSettings.MaxFileSize as it arrives, and recorded as a FileInfo once it is
/// whole; images get their thumbnail, preview and mini preview at upload. Reading a file takes read_channel_content
/// in its channel, or being its uploader.
/// </summary>
public sealed class FileService(FileInfoStore files, ChannelStore channels, IFileStore store, ImageProcessor images, LiveConfig config)
{
    /// <summary>Mattermost keeps uploads under a team folder; files belong to channels, so always this one.</summary>
    private const string FileTeamId = "noteam";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>What a browser shows inline; anything else (HTML, SVG, scripts...) is served as an attachment.</summary>
    private static readonly HashSet<string> InlineTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "image/jpeg", "image/png", "image/bmp", "image/gif", "image/tiff",
        "video/avi", "video/mpeg", "video/mp4", "audio/mpeg", "audio/wav",
    };

    private FileSettings Settings => config.Current.FileSettings;

    public long MaxFileSize => Settings.MaxFileSize;

    public void DemandUploadsEnabled()
    {
        if (!Settings.EnableFileAttachments)
        {
            throw new AppErrorException(403, "api.file.attachments.disabled.app_error", "File attachments have been disabled on this server.");
        }
    }

    /// <summary>upload_file in the channel (Mattermost's SessionHasPermissionToChannel; a missing channel is a 403 too).</summary>
    public async Task DemandUploadAsync(string channelId, Session caller)
    {
        var access = await channels.GetCachedAccessAsync(channelId, caller.UserId);
        Access.Demand(access is not null ? caller.HasChannelPermission(access, Permissions.UploadFile) : caller.HasPermission(Permissions.UploadFile));
        if (access is null)
        {
            throw AppErrorException.NotFound("Channel");
        }
    }

    /// <summary>Stores one upload from <paramref name="content"/> (permission already checked) and records its FileInfo.</summary>
    public async Task<FileInfo> UploadAsync(string channelId, string filename, Stream content, Session caller, CancellationToken cancellationToken)
    {
        var name = ValidName(filename);
        var id = Ids.New();
        var now = ChatDatabase.NowMs();
        var folder = $"{DateTime.UtcNow:yyyyMMdd}/teams/{FileTeamId}/channels/{channelId}/users/{caller.UserId}/{id}";
        var path = $"{folder}/{name}";
        long size;
        try
        {
            size = await store.WriteAsync(path, content, Settings.MaxFileSize, cancellationToken);
        }
        catch (FileTooLargeException)
        {
            throw TooLarge(name);
        }
        var extension = Extension(name);
        var info = new FileInfo
        {
            Id = id, CreatorId = caller.UserId, ChannelId = channelId, CreateAt = now, UpdateAt = now,
            Path = path, Name = name, Extension = extension, Size = size, MimeType = MimeTypeOf(name),
        };
        try
        {
            if (ImageProcessor.IsImageExtension(extension))
            {
                info = await WithImagesAsync(info, folder, cancellationToken);
            }
            await files.CreateAsync(info);
            return info;
        }
        catch
        {
            await DeleteStoredAsync(info);
            throw;
        }
    }

    /// <summary>
    /// The upload the client means by <paramref name="clientId"/>: <paramref name="upload"/>, or, when it resends an
    /// upload not yet attached to a post, the first one (whose files are kept; the resend's are removed).
    /// </summary>
    public async Task<FileInfo> FirstForClientIdAsync(FileInfo upload, string clientId)
    {
        if (clientId.Length == 0 || await files.ClaimClientIdAsync(upload, clientId) is not { } first)
        {
            return upload;
        }
        await DeleteStoredAsync(upload);
        return first;
    }

    /// <summary>
    /// Reads the header first: an image over FileSettings.MaxImageResolution is refused (400) before it is decoded.
    /// A file that only claims to be an image is kept as a plain file.
    /// </summary>
    private async Task<FileInfo> WithImagesAsync(FileInfo info, string folder, CancellationToken cancellationToken)
    {
        ImageHeader? header;
        await using (var source = await store.OpenReadAsync(info.Path, cancellationToken) ?? throw new IOException("The upload vanished from the file store."))
        {
            header = await images.IdentifyAsync(source, cancellationToken);
        }
        if (header is null)
        {
            return info;
        }
        if (header.Pixels > Settings.MaxImageResolution)
        {
            throw AppErrorException.BadRequest("api.file.upload_file.large_image_detailed.app_error",
                $"{info.Name} dimensions ({header.Width} by {header.Height} pixels) exceed the limits of {Settings.MaxImageResolution} pixels (FileSettings.MaxImageResolution).");
        }
        DerivedImages? derived;
        await using (var source = await store.OpenReadAsync(info.Path, cancellationToken) ?? throw new IOException("The upload vanished from the file store."))
        {
            derived = await images.DeriveAsync(source, header.MimeType, cancellationToken);
        }
        if (derived is null)
        {
            return info with { MimeType = header.MimeType };
        }
        var baseName = Path.GetFileNameWithoutExtension(info.Name);
        var thumbnailPath = $"{folder}/{baseName}_thumb.jpg";
        await store.WriteAsync(thumbnailPath, new MemoryStream(derived.Thumbnail), long.MaxValue, cancellationToken);
        var previewPath = "";
        if (derived.Preview is not null)
        {
            previewPath = $"{folder}/{baseName}_preview.jpg";
            await store.WriteAsync(previewPath, new MemoryStream(derived.Preview), long.MaxValue, cancellationToken);
        }
        return info with
        {
            MimeType = derived.MimeType, Width = derived.Width, Height = derived.Height,
            ThumbnailPath = thumbnailPath, PreviewPath = previewPath, HasPreviewImage = derived.Preview is not null,
            MiniPreview = derived.MiniPreview,
        };
    }

    /// <summary>The file's info if the caller may read it: its uploader, or whoever may read its channel's content.</summary>
    public async Task<FileInfo> ReadableAsync(string fileId, Session caller)
    {
        var info = await files.GetAsync(fileId);
        if (info is not { DeleteAt: 0 })
        {
            throw AppErrorException.NotFound("FileInfo");
        }
        if (info.CreatorId != caller.UserId)
        {
            var access = await channels.GetAccessAsync(info.ChannelId, caller.UserId);
            Access.Demand(access is not null ? caller.HasChannelPermission(access, Permissions.ReadChannelContent) : caller.HasPermission(Permissions.ReadChannelContent));
        }
        return info;
    }

    /// <summary>The files of a post the caller may read (deleted ones too, for system admins who ask).</summary>
    public async Task<IReadOnlyList<FileInfo>> ForPostAsync(string postId, bool includeDeleted, Session caller)
    {
        var channelId = await files.ChannelOfPostAsync(postId);
        var access = channelId is null ? null : await channels.GetAccessAsync(channelId, caller.UserId);
        Access.Demand(access is not null ? caller.HasChannelPermission(access, Permissions.ReadChannelContent) : caller.HasPermission(Permissions.ReadChannelContent));
        if (channelId is null)
        {
            throw AppErrorException.NotFound("Post");
        }
        return await files.GetForPostAsync(postId, includeDeleted && caller.HasPermission(Permissions.ManageSystem));
    }

    public Task<Stream?> OpenAsync(string path, CancellationToken cancellationToken) => store.OpenReadAsync(path, cancellationToken);

    /// <summary>A public link's hash: the salt and the file id, hashed, so links cannot be guessed and a new salt revokes them all.</summary>
    public string PublicLinkHash(string fileId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Settings.PublicLinkSalt + fileId));
        return Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public void DemandPublicLinks()
    {
        if (!Settings.EnablePublicLink)
        {
            throw new AppErrorException(403, "api.file.get_public_link.disabled.app_error", "Public links have been disabled.");
        }
    }

    /// <summary>The file behind a public link, if the hash is its own (compared in constant time).</summary>
    public async Task<FileInfo> PublicAsync(string fileId, string? hash)
    {
        DemandPublicLinks();
        var info = await files.GetAsync(fileId);
        if (info is not { DeleteAt: 0 })
        {
            throw AppErrorException.NotFound("FileInfo");
        }
        if (string.IsNullOrEmpty(hash) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(hash), Encoding.UTF8.GetBytes(PublicLinkHash(info.Id))))
        {
            throw AppErrorException.BadRequest("api.file.get_file.public_invalid.app_error", "The public link does not appear to be valid.");
        }
        return info;
    }

    /// <summary>Whether a browser may show this type inline; anything else must be downloaded.</summary>
    public static bool IsInline(string mimeType) => InlineTypes.Contains(mimeType);

    private async Task DeleteStoredAsync(FileInfo info)
    {
        foreach (var path in new[] { info.Path, info.ThumbnailPath, info.PreviewPath }.Where(p => p.Length > 0))
        {
            try
            {
                await store.DeleteAsync(path, CancellationToken.None);
            }
            catch (IOException)
            {
                // The housekeeping job finds files without rows too; the upload's own error matters more.
            }
        }
    }

    private static string MimeTypeOf(string name) => ContentTypes.TryGetContentType(name, out var type) ? type : "application/octet-stream";

    private static string Extension(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot < 0 || dot == name.Length - 1 ? "" : name[(dot + 1)..].ToLowerInvariant();
    }

    /// <summary>The name without any folders a client put in front of it; 1 to 256 characters, never "." or "..".</summary>
    private static string ValidName(string filename)
    {
        var name = filename.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..].Trim();
        if (name.Length is 0 or > FileInfo.MaxNameLength || name is "." or ".." || name.Any(char.IsControl))
        {
            throw AppErrorException.InvalidParam("filename");
        }
        return name;
    }

    public AppErrorException TooLarge(string name) =>
        new(413, "api.file.upload_file.too_large_detailed.app_error",
            $"Unable to upload file {name}. The file is larger than {Settings.MaxFileSize} bytes (FileSettings.MaxFileSize).");
}
