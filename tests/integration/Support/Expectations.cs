using System.Text;

namespace Chat.IntegrationTests;

/// <summary>Runs many request/status checks and reports every mismatch at once rather than the first.</summary>
public sealed class Expectations
{
    private readonly StringBuilder _wrong = new();
    private int _count;

    public async Task Check(string what, Task<ApiResponse> request, int expected)
    {
        _count++;
        ApiResponse response;
        try
        {
            response = await request;
        }
        catch (ContractViolationException e)
        {
            _wrong.AppendLine($"{what}: {e.Message}");
            return;
        }
        if (response.Status != expected)
        {
            _wrong.AppendLine($"{what}: {response.Status}, expected {expected}: {Shorten(response.Body)}");
        }
    }

    public void Verify() => Assert.True(_wrong.Length == 0, $"Wrong answers (of {_count} checks):\n{_wrong}");

    private static string Shorten(string body) => body.Length <= 300 ? body : body[..300] + "…";
}
