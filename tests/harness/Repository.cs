using System.Reflection;

namespace Chat.Testing;

/// <summary>Where the repository and the services' build output are, seen from a running test.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The directory holding Dapr.sln.</summary>
    public static string Root => RootPath.Value;

    /// <summary>Debug or Release: whatever this harness (and so the test run) was built as.</summary>
    public static string BuildConfiguration { get; } =
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BuildConfiguration")?.Value ?? "Debug";

    /// <summary>The built entry assembly of a service, e.g. "api" → services/api/bin/Release/net10.0/Chat.Api.dll.</summary>
    public static string ServiceAssembly(string service)
    {
        var name = "Chat." + string.Concat(service.Split('-').Select(p => char.ToUpperInvariant(p[0]) + p[1..])) + ".dll";
        var path = Path.Combine(Root, "services", service, "bin", BuildConfiguration, "net10.0", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} does not exist; build the solution ({BuildConfiguration}) first.", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dapr.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Dapr.sln above {AppContext.BaseDirectory}.");
    }
}
