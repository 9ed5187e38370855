namespace Chat.Plugins.Sdk;

/// <summary>
/// A call across the plugin boundary failed: the server refused an API call (a bad key, a missing channel), a hook
/// failed inside the plugin, or the other side went away. <see cref="Id"/> and <see cref="StatusCode"/> follow
/// Mattermost's AppError.
/// </summary>
public sealed class PluginApiException(string id, string message, int statusCode = 500) : Exception(message)
{
    public string Id { get; } = id;

    public int StatusCode { get; } = statusCode;

    internal static PluginApiException Closed(Exception? reason) =>
        new("plugin.rpc.closed", reason is null ? "The connection to the other side closed." : $"The connection to the other side closed: {reason.Message}", 503);
}
