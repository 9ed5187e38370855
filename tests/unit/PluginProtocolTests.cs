using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Chat.Api.Plugins;
using Chat.Plugins.Hosting;
using Chat.Plugins.Sdk;
using Chat.Plugins.Sdk.Protocol;
using Microsoft.Extensions.Logging;

namespace Chat.UnitTests;

public sealed class PluginProtocolTests
{
    private static LineReader Reader(string text, int max = 1024) => new(new MemoryStream(Encoding.UTF8.GetBytes(text)), max);

    private static List<(string Line, bool Truncated)> ReadAll(LineReader reader)
    {
        var lines = new List<(string, bool)>();
        while (reader.ReadLine(out var truncated) is { } line)
        {
            lines.Add((Encoding.UTF8.GetString(line.Span), truncated));
        }
        return lines;
    }

    [Fact]
    public void Line_reader_splits_lines_strips_CR_keeps_a_last_unterminated_line_and_ends()
    {
        Assert.Equal([("a", false), ("bc", false), ("", false), ("d", false)], ReadAll(Reader("a\nbc\r\n\nd")));
        Assert.Empty(ReadAll(Reader("")));
    }

    [Fact]
    public void Line_reader_truncates_a_line_over_the_limit_and_goes_on_with_the_next()
    {
        var lines = ReadAll(Reader(new string('x', 100) + "\nok\n", max: 10));
        Assert.Equal([(new string('x', 10), true), ("ok", false)], lines);
    }

    private sealed class Duplex : IAsyncDisposable
    {
        private readonly Pipe toB = new();
        private readonly Pipe toA = new();

        public Duplex(RpcRequestHandler a, RpcRequestHandler b, int maxMessageBytes = 1 << 20)
        {
            A = new RpcConnection(toA.Reader.AsStream(), toB.Writer.AsStream(), a, maxMessageBytes);
            B = new RpcConnection(toB.Reader.AsStream(), toA.Writer.AsStream(), b, maxMessageBytes);
            A.Start();
            B.Start();
        }

        public RpcConnection A { get; }

        public RpcConnection B { get; }

        public async ValueTask DisposeAsync()
        {
            await A.CloseOutputAsync();
            await B.CloseOutputAsync();
        }
    }

    private static RpcRequestHandler Echo => (method, parameters, _) => Task.FromResult<object?>(new { method, parameters });

    [Fact]
    public async Task Calls_go_both_ways_at_once_with_their_own_ids()
    {
        await using var pipe = new Duplex(Echo, Echo);
        var calls = Enumerable.Range(0, 50).Select(async i =>
        {
            var (from, name) = i % 2 == 0 ? (pipe.A, "a") : (pipe.B, "b");
            var result = await from.CallAsync($"{name}{i}", new { i }, CancellationToken.None);
            Assert.Equal($"{name}{i}", result.GetProperty("method").GetString());
            Assert.Equal(i, result.GetProperty("parameters").GetProperty("i").GetInt32());
        });
        await Task.WhenAll(calls);
    }

    [Fact]
    public async Task A_handler_failure_comes_back_as_an_error_with_id_message_and_status()
    {
        await using var pipe = new Duplex(Echo, (_, _, _) => throw new PluginApiException("kv.too_long", "Key too long.", 400));
        var e = await Assert.ThrowsAsync<PluginApiException>(() => pipe.A.CallAsync("KVSet", new { }, CancellationToken.None));
        Assert.Equal(("kv.too_long", "Key too long.", 400), (e.Id, e.Message, e.StatusCode));

        await using var other = new Duplex(Echo, (_, _, _) => throw new InvalidOperationException("boom"));
        var unexpected = await Assert.ThrowsAsync<PluginApiException>(() => other.A.CallAsync("X", new { }, CancellationToken.None));
        Assert.Equal(500, unexpected.StatusCode);
    }

    [Fact]
    public async Task Cancelling_a_call_cancels_the_handler_on_the_other_side()
    {
        var cancelled = new TaskCompletionSource();
        await using var pipe = new Duplex(Echo, async (_, _, token) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult();
                throw;
            }
            return null;
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipe.A.CallAsync("Slow", new { }, timeout.Token));
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Closing_one_side_ends_the_other_and_fails_its_pending_calls()
    {
        var pipe = new Duplex(Echo, (_, _, _) => new TaskCompletionSource<object?>().Task);
        var pending = pipe.A.CallAsync("Never", new { }, CancellationToken.None);
        await pipe.B.CloseOutputAsync();
        Assert.Null(await pipe.A.Closed.WaitAsync(TimeSpan.FromSeconds(10)));
        var e = await Assert.ThrowsAsync<PluginApiException>(() => pending);
        Assert.Equal("plugin.rpc.closed", e.Id);
        await Assert.ThrowsAsync<PluginApiException>(() => pipe.A.CallAsync("After", new { }, CancellationToken.None));
        await pipe.A.CloseOutputAsync();
    }

    [Fact]
    public async Task A_message_over_the_limit_is_refused_by_its_sender_and_an_answer_over_it_becomes_an_error()
    {
        await using var pipe = new Duplex(Echo, (_, _, _) => Task.FromResult<object?>(new string('x', 2000)), maxMessageBytes: 1000);
        var tooLarge = await Assert.ThrowsAsync<PluginApiException>(() => pipe.A.CallAsync("Big", new string('y', 2000), CancellationToken.None));
        Assert.Equal(413, tooLarge.StatusCode);
        var answer = await Assert.ThrowsAsync<PluginApiException>(() => pipe.A.CallAsync("Small", new { }, CancellationToken.None));
        Assert.Equal(413, answer.StatusCode);
        Assert.False(pipe.A.Closed.IsCompleted);
    }

    [Fact]
    public async Task Garbage_on_the_wire_closes_the_connection_with_the_reason()
    {
        var input = new Pipe();
        var connection = new RpcConnection(input.Reader.AsStream(), Stream.Null, Echo);
        connection.Start();
        await input.Writer.WriteAsync("not json\n"u8.ToArray());
        Assert.IsAssignableFrom<JsonException>(await connection.Closed.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Wait_for_interval_counts_from_the_last_finish()
    {
        var wait = Cluster.MakeWaitForInterval(TimeSpan.FromMinutes(5));
        var finished = new DateTimeOffset(2026, 1, 1, 12, 1, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, wait(finished, new JobMetadata()));
        Assert.Equal(TimeSpan.FromMinutes(3), wait(finished.AddMinutes(2), new JobMetadata { LastFinished = finished }));
        Assert.Equal(TimeSpan.Zero, wait(finished.AddMinutes(6), new JobMetadata { LastFinished = finished }));
    }

    [Fact]
    public void Wait_for_rounded_interval_lands_on_multiples_of_the_interval()
    {
        var wait = Cluster.MakeWaitForRoundedInterval(TimeSpan.FromMinutes(5));
        var finished = new DateTimeOffset(2026, 1, 1, 12, 4, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, wait(finished, new JobMetadata()));
        // Finished 12:04 → next at 12:05 (the first multiple after 12:04 + 5 min, rounded down), not 12:09.
        Assert.Equal(TimeSpan.FromMinutes(1), wait(finished, new JobMetadata { LastFinished = finished }));
        Assert.Equal(TimeSpan.FromMinutes(5), wait(finished.AddMinutes(1), new JobMetadata { LastFinished = finished.AddMinutes(1) }));
    }

    [Fact]
    public void Job_metadata_is_stored_in_pluginapis_shape()
    {
        var json = JsonSerializer.Serialize(new JobMetadata { LastFinished = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        Assert.Equal("{\"LastFinished\":\"2026-01-01T00:00:00+00:00\"}", json);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("a/b||c%2F%7C%25")]
    [InlineData("%")]
    public void KV_keys_escape_what_state_keys_forbid_and_come_back_unchanged(string key)
    {
        var escaped = PluginKeyValueStore.Escape(key);
        Assert.DoesNotContain('/', escaped);
        Assert.DoesNotContain("||", escaped, StringComparison.Ordinal);
        Assert.Equal(key, PluginKeyValueStore.Unescape(escaped));
    }

    [Fact]
    public void Plugin_log_lines_keep_level_and_fields_and_plain_output_is_information()
    {
        var (level, message, fields) = PluginProcess.ParseLogLine("""{"level":"error","msg":"failed","fields":{"err":"boom","n":"3"}}""");
        Assert.Equal((LogLevel.Error, "failed"), (level, message));
        Assert.Equal("boom", fields["err"]);
        Assert.Equal((LogLevel.Information, "Unhandled exception. {x}"), (PluginProcess.ParseLogLine("Unhandled exception. {x}").Level, PluginProcess.ParseLogLine("Unhandled exception. {x}").Message));
    }
}
