using System.Text.Json.Serialization;

namespace Chat.Store.Model;

/// <summary>Mattermost's FileInfo: an upload, attached to a post or waiting to be. Storage paths never leave the server.</summary>
public sealed record FileInfo
{
    public required string Id { get; init; }
    [JsonPropertyName("user_id")]
    public required string CreatorId { get; init; }
    public required string ChannelId { get; init; }
    public string PostId { get; init; } = "";
    public long CreateAt { get; init; }
    public long UpdateAt { get; init; }
    public long DeleteAt { get; init; }
    [JsonIgnore]
    public string Path { get; init; } = "";
    [JsonIgnore]
    public string ThumbnailPath { get; init; } = "";
    [JsonIgnore]
    public string PreviewPath { get; init; } = "";
    public required string Name { get; init; }
    public string Extension { get; init; } = "";
    public long Size { get; init; }
    public string MimeType { get; init; } = "";
    public int Width { get; init; }
    public int Height { get; init; }
    public bool HasPreviewImage { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? MiniPreview { get; init; }
    public string RemoteId { get; init; } = "";
    public bool Archived { get; init; }

    /// <summary>Mattermost's limit on a file name (model.file_info.is_valid.name).</summary>
    public const int MaxNameLength = 256;
}

/// <summary>Mattermost's FileUploadResponse.</summary>
public sealed record FileUploadResponse(List<FileInfo> FileInfos, List<string> ClientIds);
