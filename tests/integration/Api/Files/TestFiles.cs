using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Chat.IntegrationTests;

/// <summary>Uploads and downloads as clients send them, and images made for the tests.</summary>
internal static class TestFiles
{
    public sealed record Download(int Status, byte[] Body, HttpResponseMessage Response);

    /// <summary>
    /// POST /files as multipart/form-data: channel_id, then client_ids and files, in the order Mattermost's clients
    /// send them. Each call's client ids are new (a repeated id would be a resend of the same upload).
    /// </summary>
    public static Task<ApiResponse> UploadAsync(this ApiClient client, string channelId, params (string Name, byte[] Bytes)[] files) =>
        client.UploadAsync(channelId, [.. files.Select((_, i) => $"{Guid.NewGuid():N}-{i}")], files);

    public static Task<ApiResponse> UploadAsync(this ApiClient client, string channelId, string[] clientIds, params (string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent(channelId), "channel_id" } };
        foreach (var clientId in clientIds)
        {
            form.Add(new StringContent(clientId), "client_ids");
        }
        foreach (var (name, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", name);
        }
        return client.SendAsync(HttpMethod.Post, "/api/v4/files", form);
    }

    /// <summary>POST /files?channel_id=&amp;filename= with the file as the body.</summary>
    public static Task<ApiResponse> UploadRawAsync(this ApiClient client, string channelId, string name, HttpContent body) =>
        client.SendAsync(HttpMethod.Post, $"/api/v4/files?channel_id={channelId}&filename={Uri.EscapeDataString(name)}", body);

    public static async Task<JsonNode> UploadOneAsync(this ApiClient client, string channelId, string name, byte[] bytes) =>
        (await client.UploadAsync(channelId, (name, bytes))).Expect(201).Json["file_infos"]![0]!;

    public static async Task<Download> DownloadAsync(this ApiClient client, string path, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, client.BaseUrl + path);
        if (client.Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", client.Token);
        }
        configure?.Invoke(request);
        var response = await client.Http.SendAsync(request);
        return new Download((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response);
    }

    public static byte[] Png(int width, int height)
    {
        using var image = new Image<Rgba32>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgba32((byte)(x * 255 / width), (byte)(y * 255 / height), 128);
                }
            }
        });
        using var output = new MemoryStream();
        image.SaveAsPng(output);
        return output.ToArray();
    }

    /// <summary>A JPEG stored <paramref name="width"/> by <paramref name="height"/> with EXIF orientation 6: upright, it is turned a quarter.</summary>
    public static byte[] RotatedJpeg(int width, int height)
    {
        using var image = new Image<Rgba32>(width, height, new Rgba32(200, 40, 40));
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        using var output = new MemoryStream();
        image.SaveAsJpeg(output);
        return output.ToArray();
    }

    public static (int Width, int Height, string Format) Identify(byte[] bytes)
    {
        var info = Image.Identify(bytes, out var format);
        return (info.Width, info.Height, format.DefaultMimeType);
    }

    /// <summary>
    /// A decompression bomb: a few hundred bytes whose header claims <paramref name="width"/> by
    /// <paramref name="height"/> pixels. The server must refuse it from its header, without decoding it.
    /// </summary>
    public static byte[] PngBomb(int width, int height)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        Chunk(output, "IHDR", header);
        Chunk(output, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        output.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        output.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
