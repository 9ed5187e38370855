using System.Globalization;
using System.Net;
using Chat.Configuration;
using Chat.RateLimiting;
using Chat.Store.Model;

namespace Chat.Api.RateLimiting;

/// <summary>
/// RateLimitSettings on this node: the general limit (while Enable) over every API request, keyed as Mattermost
/// keys it, and the per-address limits on login and sign-up, which are always on. Each node counts on its own.
/// </summary>
internal sealed class RequestRateLimits
{
    /// <summary>A header value long enough to tell clients apart, short enough to keep the store small.</summary>
    private const int MaxHeaderKeyLength = 256;

    private readonly RateLimitSettings settings;

    public RequestRateLimits(ChatConfig config)
    {
        settings = config.RateLimitSettings;
        General = settings.Enable ? new RateLimiter(new RateQuota(settings.PerSec, TimeSpan.FromSeconds(1), settings.MaxBurst), settings.MemoryStoreSize) : null;
        var authentication = new RateQuota(settings.LoginAndSignUpPerMinute, TimeSpan.FromMinutes(1), settings.LoginAndSignUpMaxBurst);
        Login = new RateLimiter(authentication, settings.MemoryStoreSize);
        SignUp = new RateLimiter(authentication, settings.MemoryStoreSize);
    }

    public RateLimiter? General { get; }

    public RateLimiter Login { get; }

    public RateLimiter SignUp { get; }

    /// <summary>Mattermost's key: the user (when VaryByUser and signed in), else the address (when VaryByRemoteAddr), then the header's value.</summary>
    public string GeneralKey(HttpContext context)
    {
        var key = "";
        if (settings.VaryByUser && context.Features.Get<Session>() is { } session)
        {
            key = "user:" + session.UserId;
        }
        else if (settings.VaryByRemoteAddr)
        {
            key = "addr:" + Address(context);
        }
        if (settings.VaryByHeader.Length > 0)
        {
            var value = context.Request.Headers[settings.VaryByHeader].ToString().ToLowerInvariant();
            key += "|" + (value.Length > MaxHeaderKeyLength ? value[..MaxHeaderKeyLength] : value);
        }
        return key;
    }

    /// <summary>The client's address, as the forwarded-headers step left it (the edge's view when it is trusted).</summary>
    public static string Address(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var address => address.ToString(),
    };

    public static void WriteHeaders(HttpResponse response, RateDecision decision)
    {
        response.Headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Reset"] = Seconds(decision.ResetAfter);
        if (!decision.Allowed)
        {
            response.Headers.RetryAfter = Seconds(decision.RetryAfter);
        }
    }

    /// <summary>Whole seconds, rounded up: a client that waits that long is let through.</summary>
    private static string Seconds(TimeSpan span) => ((long)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
