using Chat.ServiceDefaults;
using Chat.Store.Model;

namespace Chat.Api.Authorization;

/// <summary>Checks shared by every endpoint's input: ids, paging and text limits.</summary>
public static class Input
{
    public const int DefaultPerPage = 60;
    public const int MaxPerPage = 200;

    public static string Id(string? value, string name) => Ids.IsValid(value) ? value! : throw AppErrorException.InvalidParam(name);

    public static (int Page, int PerPage) Paging(int? page, int? perPage)
    {
        var p = page ?? 0;
        var pp = perPage ?? DefaultPerPage;
        if (p is < 0 or > 100_000)
        {
            throw AppErrorException.InvalidParam("page");
        }
        if (pp is < 1 or > MaxPerPage)
        {
            throw AppErrorException.InvalidParam("per_page");
        }
        return (p, pp);
    }

    /// <summary>
    /// A boolean query flag as Mattermost reads one (Go's strconv.ParseBool): "1", "t", "true" (any case Go
    /// accepts) are true; anything else, a malformed value included, is false.
    /// </summary>
    public static bool Flag(string? value) => value is "1" or "t" or "T" or "true" or "TRUE" or "True";

    public static T Body<T>(T? body) where T : class => body ?? throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", "The request body is missing.");

    /// <summary>Trimmed text of at most <paramref name="max"/> characters; empty is refused unless <paramref name="min"/> is 0.</summary>
    public static string Text(string? value, string name, int min, int max)
    {
        var text = (value ?? "").Trim();
        return text.Length >= min && text.Length <= max
            ? text
            : throw AppErrorException.BadRequest("api.context.invalid_body_param.app_error", $"Invalid {name}: it must be {min} to {max} characters long.");
    }
}
