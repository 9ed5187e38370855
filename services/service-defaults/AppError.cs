namespace Chat.ServiceDefaults;

/// <summary>Mattermost's error body; every failed request answers with one.</summary>
public sealed record AppError(string Id, string Message, string DetailedError, string RequestId, int StatusCode);

/// <summary>Thrown anywhere below an endpoint to answer with an <see cref="AppError"/>.</summary>
public sealed class AppErrorException(int statusCode, string id, string message, string detailedError = "") : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Id { get; } = id;
    public string DetailedError { get; } = detailedError;

    public static AppErrorException BadRequest(string id, string message, string detail = "") => new(400, id, message, detail);
    public static AppErrorException Unauthorized() => new(401, "api.context.session_expired.app_error", "Invalid or expired session, please login again.");
    public static AppErrorException Forbidden(string detail = "") => new(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.", detail);
    public static AppErrorException NotFound(string what) => new(404, "app.not_found.app_error", $"{what} not found.");

    /// <summary>Mattermost's answer to a malformed id or value in the URL or body.</summary>
    public static AppErrorException InvalidParam(string name) =>
        new(400, "api.context.invalid_param.app_error", $"Invalid {name} parameter.");
}
