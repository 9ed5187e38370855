using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Chat.ServiceDefaults;

/// <summary>
/// Answers a declared body over the limit with a 413 AppError after reading it. Kestrel, left to itself, answers
/// and closes the connection while the body is still arriving; a proxy in front (the nginx edge buffers bodies and
/// sends them with a Content-Length) then fails writing the rest and turns the 413 into a 502.
/// </summary>
internal sealed class OversizedBodyMiddleware(RequestDelegate next)
{
    /// <summary>Bodies beyond this are not worth reading to be polite; the connection is closed instead.</summary>
    private const long MaxDrainBytes = 128L * 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (context.Request.ContentLength is { } length && limit is { IsReadOnly: false, MaxRequestBodySize: { } max } && length > max)
        {
            if (length <= MaxDrainBytes)
            {
                limit.MaxRequestBodySize = null;
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }
            await ErrorHandlingMiddleware.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "api.context.request_body_too_large.app_error", "The request body is too large.", "");
            return;
        }
        await next(context);
    }
}
