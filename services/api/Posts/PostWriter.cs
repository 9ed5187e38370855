using System.Diagnostics;
using Queues = System.Threading.Channels;
using Chat.Api.Events;
using Chat.Api.Threads;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.Configuration;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Npgsql;

namespace Chat.Api.Posts;

/// <summary>
/// Group commit for new posts. Each durable post costs a commit (a WAL flush) and three round trips (insert, outbox
/// events, commit); under load that, not the work, is what limits posts per second. Posts that arrive while a
/// commit is in flight wait for the next one and go in together: one insert (which also reads the channel members
/// the posts may mention), one append of their events, one bump of their channels and their members' read state
/// (authors read, mentions counted) together with the commit.
/// A post is acknowledged only after its batch committed, so nothing acknowledged is lost; a single post under no
/// load waits for nobody.
/// </summary>
public sealed partial class PostWriter(NpgsqlDataSource db, PostStore posts, ReplyThreads threads, IEventBus bus, ChatConfig config, ILogger<PostWriter> logger) : IHostedService
{
    /// <summary>Posts per transaction at most: bounds the statement and the time any one batch holds its locks.</summary>
    private const int MaxBatch = 64;
    /// <summary>Batches in flight at once per node: one commits while the next fills up.</summary>
    private const int Writers = 2;

    private readonly Queues.Channel<Pending> queue = Queues.Channel.CreateUnbounded<Pending>(new Queues.UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private Task running = Task.CompletedTask;

    /// <summary>
    /// Inserts the post and records its "posted" event; completes once both are committed. When the author already
    /// made a post with the same pending_post_id, completes with that post instead (another id), having written nothing.
    /// </summary>
    public async Task<Post> CreateAsync(Post post, Channel channel, Session sender)
    {
        // The batch commits outside the request: this span stands for the post's part in it, and its id travels
        // with the event (traceparent), so the realtime nodes' delivery continues the request's trace.
        using var activity = Telemetry.Source.StartActivity("outbox write posted", ActivityKind.Producer);
        var pending = new Pending(post, channel, sender, ClusterEvent.CurrentTraceParent());
        if (!queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The node is shutting down.");
        }
        return await pending.Done.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        running = Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync, CancellationToken.None)));
        return Task.CompletedTask;
    }

    /// <summary>Commits what was accepted before the node stops (the server has stopped taking requests by now).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        await running.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await CommitAsync(batch);
            }
            catch (Exception e) when (batch.Count > 1)
            {
                // One bad post (a channel deleted meanwhile, say) must not fail the others: each on its own.
                LogBatchFailed(e, batch.Count);
                foreach (var one in batch)
                {
                    await CommitAloneAsync(one);
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private async Task CommitAloneAsync(Pending pending)
    {
        try
        {
            await CommitAsync([pending]);
        }
        catch (Exception e)
        {
            pending.Done.TrySetException(e);
        }
    }

    private async Task CommitAsync(IReadOnlyList<Pending> batch)
    {
        var channelTypes = batch.Select(p => p.Channel).DistinctBy(c => c.Id).ToDictionary(c => c.Id, c => c.Type, StringComparer.Ordinal);
        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var (stored, candidates) = await posts.CreateManyAsync(transaction, [.. batch.Select(p => p.Post)], Mentions.ScopeOf(batch.Select(p => p.Post), id => channelTypes[id]));
        // A resent create (its pending_post_id already made a post) gets the original and adds nothing: no event,
        // no count, no thread change. Only the posts made now go on.
        var ordered = new List<Pending>(batch.Count);
        var created = new List<Post>(batch.Count);
        var repeats = new List<(Pending Pending, Post Original)>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (stored[i].Id == batch[i].Post.Id)
            {
                ordered.Add(batch[i]);
                created.Add(stored[i] with { PendingPostId = batch[i].Post.PendingPostId, Metadata = batch[i].Post.Metadata });
            }
            else
            {
                repeats.Add((batch[i], stored[i]));
            }
        }
        var members = candidates.ToLookup(c => c.ChannelId, StringComparer.Ordinal);
        var mentioned = new IReadOnlySet<string>[ordered.Count];
        var events = new List<ClusterEvent>(ordered.Count * 2);
        for (var i = 0; i < ordered.Count; i++)
        {
            var (post, channel) = (created[i], ordered[i].Channel);
            mentioned[i] = Mentions.Of(post, channel.Type, [.. members[channel.Id]], config.TeamSettings.MaxNotificationsPerChannel);
            // As Mattermost does, the author's view of the channel goes out before the post.
            if (config.ServiceSettings.EnableChannelViewedMessages && Mentions.ViewsChannel(post))
            {
                events.Add(WebSocketEvents.MultipleChannelsViewed.Create(post.UserId, new Dictionary<string, long> { [channel.Id] = post.CreateAt }) with { TraceParent = ordered[i].TraceParent });
            }
            events.Add(WebSocketEvents.Posted.Create(post, channel, ordered[i].Sender, mentioned[i].ToList()) with { TraceParent = ordered[i].TraceParent });
        }
        // Replies lock their threads before the channels are locked below, as every writer of both does.
        events.AddRange(await threads.ApplyAsync(transaction, created, [.. ordered.Select(p => p.Channel)], mentioned));
        await bus.PublishAsync(transaction, events);
        await PostStore.CountInChannelsAndCommitAsync(transaction, created, Mentions.ReadUpdates(created, mentioned));
        for (var i = 0; i < ordered.Count; i++)
        {
            ordered[i].Done.TrySetResult(created[i]);
        }
        foreach (var (pending, original) in repeats)
        {
            pending.Done.TrySetResult(original);
        }
    }

    private sealed record Pending(Post Post, Channel Channel, Session Sender, string? TraceParent)
    {
        public TaskCompletionSource<Post> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(LogLevel.Warning, "A batch of {Count} posts failed; committing them one by one")]
    private partial void LogBatchFailed(Exception e, int count);
}
