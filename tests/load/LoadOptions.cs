using System.Globalization;

namespace Chat.Load;

/// <summary>What every scenario is told: where the cluster and its database are, and how hard and long to push.</summary>
public sealed record LoadOptions(Uri Url, string Database, int Clients, int ClientsPerChannel, TimeSpan Duration, TimeSpan Warmup)
{
    public const string Usage =
        "--url http://127.0.0.1:8065 --db \"<Npgsql connection string>\" [--quick] [--clients N] [--clients-per-channel K] [--duration S] [--warmup S] [--rate R]";

    /// <summary>--quick was given (scenarios with their own defaults size themselves down).</summary>
    public bool Quick { get; init; }

    /// <summary>--clients was given explicitly.</summary>
    public bool ClientsGiven { get; init; }

    /// <summary>Operations per second, for scenarios that drive a fixed rate (--rate, default 100).</summary>
    public int Rate { get; init; } = 100;

    /// <summary>Parses the options after the scenario name; --quick picks smaller defaults that explicit options still override.</summary>
    public static bool TryParse(ReadOnlySpan<string> args, out LoadOptions options, out string error)
    {
        options = null!;
        var values = new Dictionary<string, string>();
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
            {
                quick = true;
            }
            else if (args[i] is "--url" or "--db" or "--clients" or "--clients-per-channel" or "--duration" or "--warmup" or "--rate" && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                error = $"unknown or incomplete option '{args[i]}'";
                return false;
            }
        }

        var url = values.GetValueOrDefault("--url", "http://127.0.0.1:8065");
        // The launcher's nodes read the same variable, so by default the baseline hits their database.
        var database = values.GetValueOrDefault("--db") ?? Environment.GetEnvironmentVariable("MM_SQLSETTINGS_DATASOURCE") ?? "";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            error = $"--url must be an http(s) URL, not '{url}'";
            return false;
        }
        if (database.Length == 0)
        {
            error = "--db (or MM_SQLSETTINGS_DATASOURCE) must name the cluster's PostgreSQL database";
            return false;
        }
        if (!TryInt(values, "--clients", quick ? 8 : 32, 1, 1000, out var clients, out error)
            || !TryInt(values, "--clients-per-channel", 4, 1, 1000, out var perChannel, out error)
            || !TryInt(values, "--duration", quick ? 10 : 30, 1, 3600, out var duration, out error)
            || !TryInt(values, "--warmup", quick ? 3 : 10, 0, 600, out var warmup, out error)
            || !TryInt(values, "--rate", 100, 1, 10_000, out var rate, out error))
        {
            return false;
        }
        options = new LoadOptions(uri, database, clients, Math.Min(perChannel, clients), TimeSpan.FromSeconds(duration), TimeSpan.FromSeconds(warmup))
        {
            Quick = quick,
            ClientsGiven = values.ContainsKey("--clients"),
            Rate = rate,
        };
        error = "";
        return true;
    }

    private static bool TryInt(Dictionary<string, string> values, string name, int fallback, int min, int max, out int value, out string error)
    {
        error = "";
        if (!values.TryGetValue(name, out var text))
        {
            value = fallback;
            return true;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }
        error = $"{name} must be a whole number from {min} to {max}, not '{text}'";
        return false;
    }
}
