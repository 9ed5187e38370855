using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chat.ServiceDefaults;

/// <summary>
/// Turns every failure into an AppError: thrown AppErrors, malformed requests the framework rejects,
/// values the database refuses, and anything unexpected (a 500 without internals; the details go to the log).
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (AppErrorException e)
        {
            await WriteAsync(context, e.StatusCode, e.Id, e.Message, e.DetailedError);
        }
        catch (BadHttpRequestException e)
        {
            var (id, message) = e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => ("api.context.request_body_too_large.app_error", "The request body is too large."),
                _ when e.InnerException is JsonException => ("api.context.invalid_body_param.app_error", "The request body is not valid JSON of the expected shape."),
                _ => ("api.context.invalid_request.app_error", "The request is malformed."),
            };
            await WriteAsync(context, e.StatusCode, id, message, e.InnerException?.Message ?? e.Message);
        }
        catch (System.Data.Common.DbException e) when (e.SqlState?.StartsWith("22", StringComparison.Ordinal) == true)
        {
            // SQLSTATE class 22 (data exception): a value from the request the database cannot hold, such as a NUL character.
            await WriteAsync(context, StatusCodes.Status400BadRequest, "api.context.invalid_param.app_error", "The request contains a value that cannot be stored.", "");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e)
        {
            LogUnhandled(e, context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, "api.context.internal_error.app_error", "An internal error occurred.", "");
        }
    }

    public static async Task WriteAsync(HttpContext context, int status, string id, string message, string detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.Clear();
        context.Response.StatusCode = status;
        var error = new AppError(id, message, detail, RequestId(context), status);
        await context.Response.WriteAsJsonAsync(error, ServiceDefaultsExtensions.JsonOptions);
    }

    /// <summary>The W3C trace id doubles as the request id, so a client's report leads straight to the trace.</summary>
    public static string RequestId(HttpContext context) => Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;

    [LoggerMessage(LogLevel.Error, "Unhandled error in {Method} {Path}")]
    private partial void LogUnhandled(Exception e, string method, string path);
}
