using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Chat.Configuration;

namespace Chat.FileStorage;

/// <summary>
/// FileSettings.DriverName = "amazons3": Amazon S3 or any S3-compatible store, with Mattermost's AmazonS3* settings.
/// Uploads stream as a multipart upload of AmazonS3UploadPartSizeBytes parts (one part in memory at a time), and
/// the object appears only when the upload completes: an upload cut short (a node killed, a file over the limit)
/// is aborted and leaves nothing readable. Small files go up in one request.
/// </summary>
public sealed class S3FileStore : IFileStore, IDisposable
{
    private readonly AmazonS3Client client;
    private readonly string bucket;
    private readonly string prefix;
    private readonly int partSize;

    public S3FileStore(FileSettings settings)
    {
        var endpoint = settings.AmazonS3Endpoint.Trim();
        var s3 = new AmazonS3Config
        {
            ServiceURL = $"{(settings.AmazonS3SSL ? "https" : "http")}://{endpoint}",
            // As Mattermost's client does: virtual-hosted buckets on AWS itself, path-style on any other endpoint.
            ForcePathStyle = !endpoint.EndsWith("amazonaws.com", StringComparison.OrdinalIgnoreCase),
            AuthenticationRegion = settings.AmazonS3Region.Length > 0 ? settings.AmazonS3Region : "us-east-1",
            Timeout = TimeSpan.FromMilliseconds(settings.AmazonS3RequestTimeoutMilliseconds),
            MaxErrorRetry = 3,
            // Checksums only where S3 demands them: S3-compatible servers do not all speak the newer trailers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        client = settings.AmazonS3AccessKeyId.Length > 0
            ? new AmazonS3Client(new BasicAWSCredentials(settings.AmazonS3AccessKeyId, settings.AmazonS3SecretAccessKey), s3)
            : new AmazonS3Client(s3);
        bucket = settings.AmazonS3Bucket;
        prefix = settings.AmazonS3PathPrefix.Trim('/') is { Length: > 0 } p ? p + "/" : "";
        partSize = (int)settings.AmazonS3UploadPartSizeBytes;
    }

    public async Task<long> WriteAsync(string path, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var key = Key(path);
        var first = await ReadPartAsync(content, partSize, cancellationToken);
        if (first.Length > maxBytes)
        {
            throw new FileTooLargeException(maxBytes);
        }
        if (first.Length < partSize)
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(first), UseChunkEncoding = false }, cancellationToken);
            return first.Length;
        }
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            long total = 0;
            var part = first;
            while (part.Length > 0)
            {
                total += part.Length;
                if (total > maxBytes)
                {
                    throw new FileTooLargeException(maxBytes);
                }
                var number = parts.Count + 1;
                var uploaded = await client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = number,
                    InputStream = new MemoryStream(part), PartSize = part.Length, UseChunkEncoding = false,
                }, cancellationToken);
                parts.Add(new PartETag(number, uploaded.ETag));
                part = await ReadPartAsync(content, partSize, cancellationToken);
            }
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts }, cancellationToken);
            return total;
        }
        catch
        {
            try
            {
                await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None);
            }
            catch (AmazonServiceException)
            {
                // The parts were never completed into an object, so nothing is readable; the first error is the one to report.
            }
            throw;
        }
    }

    public async Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = Key(path) }, cancellationToken);
            return new S3ReadStream(client, bucket, Key(path), metadata.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = Key(path) }, cancellationToken);

    /// <summary>Like Mattermost's TestConnection, creates the bucket first when the server has none of that name.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        var probe = $"health/{Guid.NewGuid():N}";
        await WriteAsync(probe, new MemoryStream("ok"u8.ToArray()), 16, cancellationToken);
        await DeleteAsync(probe, cancellationToken);
    }

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    public void Dispose() => client.Dispose();

    private string Key(string path) => prefix + FilePaths.Require(path);

    private static async Task<byte[]> ReadPartAsync(Stream content, int size, CancellationToken cancellationToken)
    {
        var buffer = new byte[size];
        var length = 0;
        int read;
        while (length < size && (read = await content.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        return length == size ? buffer : buffer[..length];
    }

    /// <summary>
    /// An object read as a seekable stream, so downloads can serve ranges: each read after a seek starts a ranged
    /// GET at the new position; sequential reads continue the open one.
    /// </summary>
    private sealed class S3ReadStream(AmazonS3Client client, string bucket, string key, long length) : Stream
    {
        private Stream? body;
        private long position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (position >= length || buffer.Length == 0)
            {
                return 0;
            }
            if (body is null)
            {
                var response = await client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange(position, length - 1) }, cancellationToken);
                body = response.ResponseStream;
            }
            var read = await body.ReadAsync(buffer, cancellationToken);
            position += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => position + offset,
                _ => length + offset,
            };
            if (target != position)
            {
                body?.Dispose();
                body = null;
                position = Math.Clamp(target, 0, length);
            }
            return position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                body?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
