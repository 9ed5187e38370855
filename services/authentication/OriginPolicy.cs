using Chat.Configuration;
using Microsoft.AspNetCore.Http;

namespace Chat.Authentication;

/// <summary>
/// Which pages may open a socket (the WebSocket or the SignalR hub) on the strength of a session cookie. A browser
/// sends the cookie with any page's request, so a cookie-authenticated socket is accepted only from the site
/// itself — ServiceSettings.SiteURL's origin (scheme, host and port), or the request's own host while no SiteURL
/// is set — or from an origin listed in ServiceSettings.AllowCorsFrom (space-separated; "*" allows any, as in
/// Mattermost). Requests without an Origin header come from no page, so nothing rides along with them.
/// </summary>
public static class OriginPolicy
{
    public static bool AllowsCookieFrom(HttpRequest request, ServiceSettings settings)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from))
        {
            return false;
        }
        var allowed = settings.AllowCorsFrom.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (allowed.Contains("*") || allowed.Any(a => Uri.TryCreate(a, UriKind.Absolute, out var listed) && SameOrigin(listed, from)))
        {
            return true;
        }
        if (settings.SiteURL.Length > 0)
        {
            return Uri.TryCreate(settings.SiteURL, UriKind.Absolute, out var site) && SameOrigin(site, from);
        }
        // Without a SiteURL the scheme a client used is unknown behind a TLS-terminating edge; the host must match.
        return string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;
}
