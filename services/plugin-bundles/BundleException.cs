namespace Chat.Plugins.Bundles;

/// <summary>
/// A bundle that cannot be installed, with Mattermost's error id where it has one and a message that says what is
/// wrong with the bundle. <see cref="StatusCode"/> is 400, or 413 for a bundle over the size limits.
/// </summary>
public sealed class BundleException(string errorId, string message, int statusCode = 400) : Exception(message)
{
    public string ErrorId { get; } = errorId;

    public int StatusCode { get; } = statusCode;

    public static BundleException Extract(string problem) =>
        new("app.plugin.extract.app_error", $"The plugin bundle could not be extracted: {problem}");

    public static BundleException Manifest(string problem) =>
        new("app.plugin.manifest.app_error", $"The plugin bundle's manifest (plugin.json) is invalid: {problem}");

    public static BundleException TooLarge(string problem) =>
        new("app.plugin.extract.too_large.app_error", $"The plugin bundle is too large: {problem}", 413);
}
