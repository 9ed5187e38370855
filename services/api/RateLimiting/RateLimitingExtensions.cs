namespace Chat.Api.RateLimiting;

public static class RateLimitingExtensions
{
    /// <summary>After authentication, so RateLimitSettings.VaryByUser can key by the signed-in user.</summary>
    public static IApplicationBuilder UseRequestRateLimits(this IApplicationBuilder app) => app.UseMiddleware<RateLimitingMiddleware>();
}
