using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Chat.Authentication;

/// <summary>Where Mattermost clients put their session token, and the cookies a browser login gets.</summary>
public static class SessionTokens
{
    public const string AuthCookie = "MMAUTHTOKEN";
    public const string UserIdCookie = "MMUSERID";
    public const string CsrfCookie = "MMCSRF";
    public const string CsrfHeader = "X-CSRF-Token";
    public const string TokenHeader = "Token";

    /// <summary>The token and whether it came from the cookie (which alone needs the CSRF check).</summary>
    public static (string? Token, bool FromCookie) Read(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        foreach (var scheme in (ReadOnlySpan<string>)["Bearer ", "Token "])
        {
            if (authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                return (authorization[scheme.Length..].Trim(), false);
            }
        }
        if (request.Query.TryGetValue("access_token", out var query) && !string.IsNullOrEmpty(query))
        {
            return (query.ToString(), false);
        }
        return request.Cookies.TryGetValue(AuthCookie, out var cookie) && !string.IsNullOrEmpty(cookie) ? (cookie, true) : (null, false);
    }

    /// <summary>Cookie-authenticated requests that change state must echo the session's CSRF token.</summary>
    public static bool PassesCsrf(HttpRequest request, string expected)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return true;
        }
        var presented = request.Headers[CsrfHeader].ToString();
        return presented.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }

    public static void AppendLoginCookies(HttpResponse response, string token, string userId, string csrf, DateTimeOffset expires, bool secure)
    {
        response.Cookies.Append(AuthCookie, token, new CookieOptions { HttpOnly = true, Expires = expires, Path = "/", SameSite = SameSiteMode.Lax, Secure = secure });
        response.Cookies.Append(UserIdCookie, userId, new CookieOptions { Expires = expires, Path = "/", SameSite = SameSiteMode.Lax, Secure = secure });
        response.Cookies.Append(CsrfCookie, csrf, new CookieOptions { Expires = expires, Path = "/", SameSite = SameSiteMode.Lax, Secure = secure });
    }

    public static void DeleteLoginCookies(HttpResponse response)
    {
        foreach (var name in (ReadOnlySpan<string>)[AuthCookie, UserIdCookie, CsrfCookie])
        {
            response.Cookies.Delete(name, new CookieOptions { Path = "/" });
        }
    }
}
