using System.Text.Json;

namespace Chat.Testing;

/// <summary>
/// What every response of every node promises, checked on every request the tests make: never a 5xx,
/// X-Request-Id and X-Version-Id always present, the safe headers (no sniffing, no framing by other sites, no
/// referrer), and every error an AppError without internals.
/// </summary>
public sealed class ResponseContract(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var status = (int)response.StatusCode;
        var what = $"{request.Method} {request.RequestUri?.PathAndQuery} → {status}";
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (status >= 500)
        {
            throw new ContractViolationException($"{what}: a server error: {body}");
        }
        foreach (var header in (ReadOnlySpan<string>)["X-Request-Id", "X-Version-Id"])
        {
            if (!response.Headers.TryGetValues(header, out var values) || string.IsNullOrEmpty(values.FirstOrDefault()))
            {
                throw new ContractViolationException($"{what}: no {header} header");
            }
        }
        foreach (var (header, expected) in (ReadOnlySpan<(string, string)>)[("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"), ("Referrer-Policy", "no-referrer")])
        {
            if (!response.Headers.TryGetValues(header, out var values) || values.FirstOrDefault() != expected)
            {
                throw new ContractViolationException($"{what}: {header} must be '{expected}'");
            }
        }
        if (status >= 400 && request.Method != HttpMethod.Head)
        {
            CheckAppError(what, status, body, response.Headers.GetValues("X-Request-Id").First());
        }
        return response;
    }

    private static void CheckAppError(string what, int status, string body, string requestId)
    {
        if (body.Contains("   at ", StringComparison.Ordinal) || body.Contains("Exception", StringComparison.Ordinal) || body.Contains(".cs:line", StringComparison.Ordinal))
        {
            throw new ContractViolationException($"{what}: the error leaks internals: {body}");
        }
        JsonElement error;
        try
        {
            error = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            throw new ContractViolationException($"{what}: the error is not JSON: '{body}'");
        }
        var valid = error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString()!.Length > 0
            && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String && message.GetString()!.Length > 0
            && error.TryGetProperty("detailed_error", out var detail) && detail.ValueKind == JsonValueKind.String
            && error.TryGetProperty("request_id", out var rid) && rid.GetString() == requestId
            && error.TryGetProperty("status_code", out var code) && code.ValueKind == JsonValueKind.Number && code.GetInt32() == status;
        if (!valid)
        {
            throw new ContractViolationException($"{what}: not an AppError {{id, message, detailed_error, request_id, status_code}}: {body}");
        }
    }
}

public sealed class ContractViolationException(string message) : Exception(message);
