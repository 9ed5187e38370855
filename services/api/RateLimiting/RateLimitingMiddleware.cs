using Chat.RateLimiting;
using Chat.ServiceDefaults;

namespace Chat.Api.RateLimiting;

/// <summary>Answers a request over its quota with 429 and the X-RateLimit-* headers, before any work is done for it.</summary>
internal sealed class RateLimitingMiddleware(RequestDelegate next, RequestRateLimits limits)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value?.TrimEnd('/') ?? "";
        if (!path.StartsWith("/api/", StringComparison.Ordinal) && !path.StartsWith("/plugins/", StringComparison.Ordinal))
        {
            // Health probes and the like are the platform's, not clients'.
            await next(context);
            return;
        }
        if (HttpMethods.IsPost(context.Request.Method) && AuthenticationLimiter(path) is { } authentication)
        {
            var decision = authentication.Take(RequestRateLimits.Address(context));
            if (!decision.Allowed || limits.General is null)
            {
                Report(context, decision);
            }
            if (!decision.Allowed)
            {
                await RefuseAsync(context);
                return;
            }
        }
        if (limits.General is { } general)
        {
            var decision = general.Take(limits.GeneralKey(context));
            Report(context, decision);
            if (!decision.Allowed)
            {
                await RefuseAsync(context);
                return;
            }
        }
        await next(context);
    }

    /// <summary>Login and sign-up, whose limit holds even while the general one is off (password guessing, sign-up floods).</summary>
    private RateLimiter? AuthenticationLimiter(string path) =>
        path.Equals("/api/v4/users/login", StringComparison.OrdinalIgnoreCase) ? limits.Login
        : path.Equals("/api/v4/users", StringComparison.OrdinalIgnoreCase) ? limits.SignUp
        : null;

    /// <summary>Written as the response starts: an error answer clears the headers set before it.</summary>
    private static void Report(HttpContext context, RateDecision decision) =>
        context.Response.OnStarting(() =>
        {
            RequestRateLimits.WriteHeaders(context.Response, decision);
            return Task.CompletedTask;
        });

    private static Task RefuseAsync(HttpContext context) =>
        ErrorHandlingMiddleware.WriteAsync(context, StatusCodes.Status429TooManyRequests, "api.context.rate_limited.app_error", "Too many requests. Please try again later.", "");
}
