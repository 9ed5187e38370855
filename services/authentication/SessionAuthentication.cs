using System.Security.Claims;
using System.Text.Encodings.Web;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Authentication;

/// <summary>
/// Authenticates by Mattermost session token. The database is asked on every request, so a logout or a
/// revoked session takes effect on every node at once.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SessionStore sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "MattermostSession";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (token, fromCookie) = SessionTokens.Read(Request);
        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }
        if (token.Length > 128 || await sessions.GetByTokenAsync(token, ChatDatabase.NowMs()) is not { } session)
        {
            return AuthenticateResult.Fail("invalid or expired session");
        }
        if (fromCookie && !SessionTokens.PassesCsrf(Request, session.CsrfToken))
        {
            return AuthenticateResult.Fail("CSRF token missing or wrong");
        }
        // Endpoint handlers take it as a parameter (Session.BindAsync).
        Context.Features.Set(session);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, session.UserId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ErrorHandlingMiddleware.WriteAsync(Context, 401, "api.context.session_expired.app_error", "Invalid or expired session, please login again.", "");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorHandlingMiddleware.WriteAsync(Context, 403, "api.context.permissions.app_error", "You do not have the appropriate permissions.", "");
}
