namespace Chat.Plugins.Sdk;

/// <summary>
/// The base class of a server plugin. Override the hooks you need; the node calls only those (it asks which ones at
/// activation). Every api node runs its own copy of the plugin in a process of its own, so keep no state in memory
/// that another copy would need: store it through <see cref="API"/> (the KV store is shared by the cluster) and run
/// background work once across the cluster with <see cref="Cluster"/>. Hooks run concurrently and each within the
/// node's hook timeout; a hook that throws fails only that call. Start the plugin from Main:
/// <code>return await Plugin.RunAsync(new MyPlugin());</code>
/// </summary>
public abstract class Plugin
{
    private PluginApi? api;

    /// <summary>The server API, available from <see cref="OnActivate"/> on.</summary>
    public PluginApi API => api ?? throw new InvalidOperationException("The plugin API is available from OnActivate on.");

    /// <summary>
    /// Called once when the node starts the plugin, before any other hook. Throwing fails the activation: the
    /// plugin's status becomes FailedToStart with the exception's message.
    /// </summary>
    public virtual Task OnActivate(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called when the plugin is disabled or the node stops; the process ends right after.</summary>
    public virtual Task OnDeactivate(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Called before a post is stored: return <see cref="PostDecision.Allow"/>, a changed post
    /// (<see cref="PostDecision.Replace"/>: its message and props are taken) or a rejection
    /// (<see cref="PostDecision.Reject"/>: the client gets a 400 naming the reason). A hook that fails or times out
    /// lets the post through unchanged.
    /// </summary>
    public virtual Task<PostDecision> MessageWillBePosted(PluginContext context, Post post, CancellationToken cancellationToken) =>
        Task.FromResult(PostDecision.Allow);

    /// <summary>Called after a post is committed, on the node that stored it (once per post in the cluster).</summary>
    public virtual Task MessageHasBeenPosted(PluginContext context, Post post, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called after a user was added to a channel; <paramref name="actor"/> is who added them when that was someone else.</summary>
    public virtual Task UserHasJoinedChannel(PluginContext context, ChannelMember channelMember, User? actor, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Serves HTTP requests to <c>/plugins/{id}/…</c> on every api node.</summary>
    public virtual Task<PluginHttpResponse> ServeHTTP(PluginContext context, PluginHttpRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(PluginHttpResponse.NotFound(context));

    /// <summary>Runs <paramref name="plugin"/> until the node closes the connection; call it from Main.</summary>
    public static Task<int> RunAsync(Plugin plugin) => PluginRunner.RunAsync(plugin);

    internal void Attach(PluginApi pluginApi) => api = pluginApi;
}

/// <summary>What <see cref="Plugin.MessageWillBePosted"/> decides about a post.</summary>
public sealed record PostDecision
{
    public Post? Post { get; private init; }

    public string? RejectionReason { get; private init; }

    public static PostDecision Allow { get; } = new();

    public static PostDecision Replace(Post post) => new() { Post = post };

    /// <summary>Rejects the post; the client's error names <paramref name="reason"/> (required).</summary>
    public static PostDecision Reject(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new() { RejectionReason = reason };
    }
}
