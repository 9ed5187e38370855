using System.Security.Cryptography;
using System.Text;
using Chat.ServiceDefaults;
using Microsoft.AspNetCore.Http;

namespace Chat.BuildingBlocks.Dapr;

/// <summary>
/// The check on calls from the sidecar: with APP_API_TOKEN set, the sidecar sends it as dapr-api-token on every
/// call to the app; anything else gets 401 (an AppError body).
/// </summary>
internal static class DaprAppToken
{
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Filter(string? expected) =>
        async (context, next) => Matches(context.HttpContext, expected)
            ? await next(context)
            : new Refusal();

    public static bool Matches(HttpContext context, string? expected)
    {
        if (expected is null)
        {
            return true;
        }
        var presented = context.Request.Headers[DaprSidecarClient.TokenHeader].FirstOrDefault();
        return presented is not null
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    private sealed class Refusal : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) =>
            ErrorHandlingMiddleware.WriteAsync(httpContext, StatusCodes.Status401Unauthorized, "api.dapr.app_token.app_error", "The request does not carry the Dapr app API token.", "");
    }
}
