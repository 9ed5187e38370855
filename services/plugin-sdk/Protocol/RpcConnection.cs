using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;

namespace Chat.Plugins.Sdk.Protocol;

/// <summary>Handles one request from the other side; the result is serialized as the response.</summary>
internal delegate Task<object?> RpcRequestHandler(string method, JsonElement parameters, CancellationToken cancellationToken);

/// <summary>
/// JSON-RPC-like calls in both directions over a pair of streams (a plugin's stdin and stdout), one JSON object per
/// line. A request is <c>{"id","method","params"}</c>, its response <c>{"id","result"}</c> or
/// <c>{"id","error":{"id","message","status_code"}}</c>; each side numbers its own requests, and a response goes to
/// the side that did not send it. <c>$cancel</c> (<c>{"id"}</c>) asks the other side to cancel a request it is
/// running. Requests from the other side run concurrently on the thread pool; the reader has a thread of its own, so
/// a busy pool never delays noticing that the other side has gone (the end of the input).
/// </summary>
internal sealed class RpcConnection
{
    public const string CancelMethod = "$cancel";

    private readonly LineReader reader;
    private readonly Stream output;
    private readonly RpcRequestHandler handler;
    private readonly int maxMessageBytes;
    private readonly int maxConcurrentRequests;
    private readonly SemaphoreSlim writeGate = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> pending = new();
    private readonly ConcurrentDictionary<long, CancellationTokenSource> running = new();
    private readonly TaskCompletionSource<Exception?> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextId;
    private int inFlight;
    private volatile bool isClosed;

    public RpcConnection(Stream input, Stream output, RpcRequestHandler handler, int maxMessageBytes = 16 * 1024 * 1024, int maxConcurrentRequests = 256)
    {
        reader = new LineReader(input, maxMessageBytes);
        this.output = output;
        this.handler = handler;
        this.maxMessageBytes = maxMessageBytes;
        this.maxConcurrentRequests = maxConcurrentRequests;
    }

    /// <summary>Completes when the input has ended: null at a clean end, else what broke it (a malformed message).</summary>
    public Task<Exception?> Closed => closed.Task;

    public void Start() => new Thread(ReadLoop) { IsBackground = true, Name = "plugin-rpc-reader" }.Start();

    /// <summary>Sends a request and waits for its response; cancelling abandons it and tells the other side.</summary>
    /// <exception cref="PluginApiException">The other side answered with an error, or the connection closed.</exception>
    public async Task<JsonElement> CallAsync(string method, object? parameters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref nextId);
        var response = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = response;
        if (isClosed)
        {
            pending.TryRemove(id, out _);
            throw PluginApiException.Closed(closed.Task.IsCompleted ? closed.Task.Result : null);
        }
        using var registration = cancellationToken.Register(() =>
        {
            if (pending.TryRemove(id, out var abandoned))
            {
                abandoned.TrySetCanceled(cancellationToken);
                _ = SendCancelAsync(id);
            }
        });
        try
        {
            await WriteAsync(w =>
            {
                w.WriteNumber("id", id);
                w.WriteString("method", method);
                w.WritePropertyName("params");
                JsonSerializer.Serialize(w, parameters, parameters?.GetType() ?? typeof(object), RpcJson.Options);
            }).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            pending.TryRemove(id, out _);
            throw PluginApiException.Closed(e);
        }
        return await response.Task;
    }

    /// <summary>Closes the output: the other side sees the end of its input (a plugin then exits).</summary>
    public async Task CloseOutputAsync()
    {
        await writeGate.WaitAsync();
        try
        {
            await output.DisposeAsync();
        }
        finally
        {
            writeGate.Release();
        }
    }

    private async Task SendCancelAsync(long id)
    {
        try
        {
            await WriteAsync(w =>
            {
                w.WriteNumber("id", 0);
                w.WriteString("method", CancelMethod);
                w.WriteStartObject("params");
                w.WriteNumber("id", id);
                w.WriteEndObject();
            });
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or PluginApiException)
        {
            // The other side is gone; nothing is left to cancel.
        }
    }

    private async Task WriteAsync(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        if (buffer.WrittenCount > maxMessageBytes)
        {
            throw new PluginApiException("plugin.rpc.message_too_large", $"The message is larger than {maxMessageBytes} bytes.", 413);
        }
        buffer.Write("\n"u8);
        await writeGate.WaitAsync();
        try
        {
            await output.WriteAsync(buffer.WrittenMemory);
            await output.FlushAsync();
        }
        finally
        {
            writeGate.Release();
        }
    }

    private void ReadLoop()
    {
        Exception? reason = null;
        try
        {
            while (reader.ReadLine(out var truncated) is { } line)
            {
                if (truncated)
                {
                    throw new InvalidDataException($"A message was longer than {maxMessageBytes} bytes.");
                }
                if (line.Length > 0)
                {
                    Dispatch(line);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidDataException or JsonException)
        {
            reason = e;
        }
        isClosed = true;
        foreach (var id in pending.Keys)
        {
            if (pending.TryRemove(id, out var waiting))
            {
                waiting.TrySetException(PluginApiException.Closed(reason));
            }
        }
        foreach (var request in running.Values)
        {
            request.Cancel();
        }
        closed.TrySetResult(reason);
    }

    private void Dispatch(ReadOnlyMemory<byte> line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out var id))
        {
            throw new InvalidDataException("A message without a numeric id.");
        }
        var parameters = root.TryGetProperty("params", out var p) ? p.Clone() : default;
        if (root.TryGetProperty("method", out var methodElement) && methodElement.GetString() is { } method)
        {
            if (method == CancelMethod)
            {
                if (parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("id", out var target)
                    && target.TryGetInt64(out var targetId) && running.TryGetValue(targetId, out var request))
                {
                    request.Cancel();
                }
                return;
            }
            Accept(id, method, parameters);
            return;
        }
        if (!pending.TryRemove(id, out var response))
        {
            return; // Abandoned (timed out or cancelled) on this side.
        }
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            response.TrySetException(new PluginApiException(
                error.TryGetProperty("id", out var e) ? e.GetString() ?? "" : "",
                error.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "",
                error.TryGetProperty("status_code", out var s) && s.TryGetInt32(out var status) ? status : 500));
        }
        else
        {
            response.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
        }
    }

    private void Accept(long id, string method, JsonElement parameters)
    {
        if (Interlocked.Increment(ref inFlight) > maxConcurrentRequests)
        {
            Interlocked.Decrement(ref inFlight);
            _ = RespondAsync(id, null, new PluginApiException("plugin.rpc.too_many_requests", $"More than {maxConcurrentRequests} requests at once.", 429));
            return;
        }
        var cancel = new CancellationTokenSource();
        running[id] = cancel;
        _ = Task.Run(async () =>
        {
            try
            {
                object? result = null;
                PluginApiException? failure = null;
                try
                {
                    result = await handler(method, parameters, cancel.Token);
                }
                catch (PluginApiException e)
                {
                    failure = e;
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    failure = new PluginApiException("plugin.rpc.canceled", "The request was cancelled.", 499);
                }
                catch (Exception e)
                {
                    // Whatever the handler throws becomes an error response: the caller must not wait for its timeout.
                    failure = new PluginApiException("plugin.rpc.failed", $"{e.GetType().Name}: {e.Message}", 500);
                }
                await RespondAsync(id, result, failure);
            }
            finally
            {
                running.TryRemove(id, out _);
                cancel.Dispose();
                Interlocked.Decrement(ref inFlight);
            }
        });
    }

    private async Task RespondAsync(long id, object? result, PluginApiException? failure)
    {
        try
        {
            try
            {
                await WriteResponseAsync(id, result, failure);
            }
            catch (PluginApiException tooLarge) when (failure is null)
            {
                await WriteResponseAsync(id, null, tooLarge);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The other side is gone: nobody waits for this response.
        }
    }

    private Task WriteResponseAsync(long id, object? result, PluginApiException? failure) => WriteAsync(w =>
    {
        w.WriteNumber("id", id);
        if (failure is null)
        {
            w.WritePropertyName("result");
            JsonSerializer.Serialize(w, result, result?.GetType() ?? typeof(object), RpcJson.Options);
        }
        else
        {
            w.WriteStartObject("error");
            w.WriteString("id", failure.Id);
            w.WriteString("message", failure.Message);
            w.WriteNumber("status_code", failure.StatusCode);
            w.WriteEndObject();
        }
    });
}

/// <summary>The wire format on both sides: Mattermost's snake_case names; dictionary keys (props, headers) as they are.</summary>
internal static class RpcJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        RespectRequiredConstructorParameters = true,
    };

    public static T Read<T>(JsonElement element) =>
        element.Deserialize<T>(Options) ?? throw new PluginApiException("plugin.rpc.bad_message", $"Expected {typeof(T).Name}, got null.", 400);
}
