using Chat.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.License;

public static class LicenseEndpoints
{
    public static void MapLicense(this RouteGroupBuilder api)
    {
        api.MapGet("/license/client", GetClientLicense);
    }

    /// <summary>
    /// The client license in Mattermost's "old" format (a map of strings). This server is unlicensed, which is all
    /// the map says. Open to anonymous callers, as in Mattermost: the web app asks before anyone signs in.
    /// </summary>
    private static Ok<Dictionary<string, string>> GetClientLicense(string? format)
    {
        if (string.IsNullOrEmpty(format))
        {
            throw AppErrorException.BadRequest("api.license.client.old_format.app_error", "The new format of the client license is not supported. Request format=old.");
        }
        if (format != "old")
        {
            throw AppErrorException.InvalidParam("format");
        }
        return TypedResults.Ok(new Dictionary<string, string> { ["IsLicensed"] = "false" });
    }
}
