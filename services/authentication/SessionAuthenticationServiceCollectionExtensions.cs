using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Authentication;

public static class SessionAuthenticationServiceCollectionExtensions
{
    /// <summary>Session-token authentication as the default scheme; endpoint groups opt in with RequireAuthorization.</summary>
    public static IServiceCollection AddSessionAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }
}
