using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Processing;

namespace Chat.FileStorage;

/// <summary>An upload's image facts: upright size, detected type and the derived JPEGs Mattermost serves.</summary>
public sealed record DerivedImages(int Width, int Height, string MimeType, byte[] Thumbnail, byte[]? Preview, byte[] MiniPreview);

/// <summary>The image's header: its stored size and type, all that is known before decoding.</summary>
public sealed record ImageHeader(int Width, int Height, string MimeType)
{
    public long Pixels => (long)Width * Height;
}

/// <summary>
/// Mattermost's image handling at upload: a thumbnail (120x100 box: a wide image is scaled to 100 high, a tall one
/// to 120 wide), a preview (at most 1920 wide), a 16x16 mini preview, all JPEG at quality 90, from the image turned
/// upright by its EXIF orientation. Decoding is what costs memory (4 bytes a pixel), so the header is read first and
/// the caller refuses images over FileSettings.MaxImageResolution before anything is decoded, animated GIFs are
/// decoded to their first frame only, and a few decodes run at a time per node.
/// </summary>
public sealed class ImageProcessor
{
    public const int ThumbnailWidth = 120;
    public const int ThumbnailHeight = 100;
    public const int PreviewWidth = 1920;
    public const int MiniPreviewSize = 16;

    private static readonly JpegEncoder Jpeg = new() { Quality = 90 };

    private readonly SixLabors.ImageSharp.Configuration configuration;
    private readonly SemaphoreSlim decoders = new(Math.Max(1, Environment.ProcessorCount));

    public ImageProcessor()
    {
        configuration = SixLabors.ImageSharp.Configuration.Default.Clone();
        configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 32 });
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
    }

    /// <summary>Extensions Mattermost treats as images it can thumbnail.</summary>
    public static bool IsImageExtension(string extension) => extension is "jpg" or "jpeg" or "png" or "gif" or "bmp" or "tif" or "tiff" or "webp";

    /// <summary>The image's header, or null when <paramref name="source"/> is not an image this server decodes.</summary>
    public async Task<ImageHeader?> IdentifyAsync(Stream source, CancellationToken cancellationToken)
    {
        try
        {
            var (info, format) = await Image.IdentifyWithFormatAsync(configuration, source, cancellationToken);
            if (info is null || format is null || info.Width <= 0 || info.Height <= 0)
            {
                return null;
            }
            return new ImageHeader(info.Width, info.Height, format.DefaultMimeType);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException or ImageFormatException)
        {
            return null;
        }
    }

    /// <summary>Decodes the image (whose header was checked) and makes its thumbnail, preview and mini preview.</summary>
    public async Task<DerivedImages?> DeriveAsync(Stream source, string mimeType, CancellationToken cancellationToken)
    {
        await decoders.WaitAsync(cancellationToken);
        try
        {
            using var image = await Image.LoadAsync(configuration, source, cancellationToken);
            image.Mutate(x => x.AutoOrient());
            var (width, height) = (image.Width, image.Height);

            var thumbnailSize = (double)height / width < (double)ThumbnailHeight / ThumbnailWidth
                ? new Size(0, Math.Min(ThumbnailHeight, height))
                : new Size(Math.Min(ThumbnailWidth, width), 0);
            var thumbnail = await EncodeAsync(image, thumbnailSize, cancellationToken);
            // GIFs are shown as they are (they may be animated), as Mattermost does.
            var preview = mimeType == "image/gif" ? null : await EncodeAsync(image, new Size(Math.Min(PreviewWidth, width), 0), cancellationToken);
            var mini = await EncodeAsync(image, new Size(MiniPreviewSize, MiniPreviewSize), cancellationToken);
            return new DerivedImages(width, height, mimeType, thumbnail, preview, mini);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException or ImageFormatException)
        {
            return null;
        }
        finally
        {
            decoders.Release();
        }
    }

    /// <summary>Mattermost's profile image size: uploads are cropped to this square.</summary>
    public const int ProfileImageSize = 128;

    /// <summary>
    /// A profile image from an upload whose header was checked: turned upright, the largest centred square,
    /// scaled to <see cref="ProfileImageSize"/>, as PNG. Null when it does not decode.
    /// </summary>
    public Task<byte[]?> ProfileImageAsync(Stream source, CancellationToken cancellationToken) =>
        ToPngAsync(source, image => image.Mutate(x => x.AutoOrient().Resize(new ResizeOptions
        {
            Size = new Size(ProfileImageSize, ProfileImageSize), Mode = ResizeMode.Crop, Position = AnchorPositionMode.Center, Sampler = KnownResamplers.Lanczos3,
        })), cancellationToken);

    /// <summary>Mattermost's custom emoji size: larger images are scaled down to fit this square.</summary>
    public const int EmojiSize = 128;

    /// <summary>Mattermost's largest custom emoji upload, in either dimension, before scaling.</summary>
    public const int EmojiMaxOriginalSize = 1028;

    /// <summary>
    /// A custom emoji image from an upload whose header was checked (at most <see cref="EmojiMaxOriginalSize"/> a
    /// side): scaled to fit <see cref="EmojiSize"/> as PNG. Null when it does not decode. Images that already fit are
    /// stored as uploaded (animated GIFs stay animated); a larger GIF keeps its first frame only.
    /// </summary>
    public Task<byte[]?> EmojiImageAsync(Stream source, CancellationToken cancellationToken) =>
        ToPngAsync(source, image => image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(EmojiSize, EmojiSize), Mode = ResizeMode.Max, Sampler = KnownResamplers.Lanczos3 })), cancellationToken);

    /// <summary>Decodes <paramref name="source"/> (within the decoder slots), reshapes it and encodes it as PNG; null when it does not decode.</summary>
    private async Task<byte[]?> ToPngAsync(Stream source, Action<Image> reshape, CancellationToken cancellationToken)
    {
        await decoders.WaitAsync(cancellationToken);
        try
        {
            using var image = await Image.LoadAsync(configuration, source, cancellationToken);
            reshape(image);
            using var output = new MemoryStream();
            await image.SaveAsPngAsync(output, cancellationToken);
            return output.ToArray();
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException or ImageFormatException)
        {
            return null;
        }
        finally
        {
            decoders.Release();
        }
    }

    /// <summary>
    /// The default profile image of a user: a symmetric 5x5 pattern in a colour, both from the hash of the user's id,
    /// so everyone has a distinct picture that never changes.
    /// </summary>
    public static byte[] DefaultProfileImage(string userId)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(userId));
        var colour = new SixLabors.ImageSharp.PixelFormats.Rgba32((byte)(64 + hash[0] % 160), (byte)(64 + hash[1] % 160), (byte)(64 + hash[2] % 160));
        var background = new SixLabors.ImageSharp.PixelFormats.Rgba32(240, 240, 240);
        const int cells = 5;
        const int cell = ProfileImageSize / (cells + 1);
        const int margin = (ProfileImageSize - cells * cell) / 2;
        using var image = new Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(ProfileImageSize, ProfileImageSize, background);
        image.ProcessPixelRows(rows =>
        {
            for (var y = margin; y < margin + cells * cell; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = margin; x < margin + cells * cell; x++)
                {
                    var (cx, cy) = ((x - margin) / cell, (y - margin) / cell);
                    // Mirrored left to right: columns 3 and 4 repeat 1 and 0.
                    var column = Math.Min(cx, cells - 1 - cx);
                    if ((hash[3 + cy * 3 + column] & 1) == 1)
                    {
                        row[x] = colour;
                    }
                }
            }
        });
        using var output = new MemoryStream();
        image.SaveAsPng(output);
        return output.ToArray();
    }

    /// <summary>A zero width or height keeps the aspect ratio.</summary>
    private static async Task<byte[]> EncodeAsync(Image image, Size size, CancellationToken cancellationToken)
    {
        using var resized = image.Clone(x => x.Resize(new ResizeOptions { Size = size, Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Lanczos3 }));
        using var output = new MemoryStream();
        await resized.SaveAsJpegAsync(output, Jpeg, cancellationToken);
        return output.ToArray();
    }
}
