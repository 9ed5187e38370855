using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Chat.DeploymentTests;

/// <summary>One YAML document of a file: a tree of maps (string keys), lists and scalar strings.</summary>
public sealed record Manifest(string File, int Index, object? Root)
{
    public string? Kind => Root.Text("kind");

    public string? Name => Root.Text("metadata", "name");

    public override string ToString() => $"{File}#{Index} {Kind}/{Name}";
}

/// <summary>The repository's YAML, parsed with YamlDotNet, and small accessors for the trees it yields.</summary>
public static class Manifests
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Every YAML file under components/ and deploy/, relative to the repository root.</summary>
    public static IReadOnlyList<string> AllYamlFiles() =>
        [.. new[] { "components", "deploy" }
            .SelectMany(dir => Directory.EnumerateFiles(PathOf(dir), "*.*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Root, f))
            .Order(StringComparer.Ordinal)];

    /// <summary>The documents of one file (relative to the repository root); throws on invalid YAML.</summary>
    public static IReadOnlyList<Manifest> Load(string relative) => Parse(File.ReadAllText(PathOf(relative)), relative);

    public static IReadOnlyList<Manifest> Parse(string text, string name)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        var documents = new List<Manifest>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(new Manifest(name, documents.Count, Normalise(Deserializer.Deserialize<object?>(parser))));
        }
        return documents;
    }

    /// <summary>Every document of every YAML file in a folder (not below it).</summary>
    public static IReadOnlyList<Manifest> LoadFolder(string relative) =>
        [.. Directory.EnumerateFiles(PathOf(relative), "*.yaml").Order(StringComparer.Ordinal).SelectMany(f => Load(Path.GetRelativePath(Root, f)))];

    public static JsonElement LoadJson(string relative) => JsonDocument.Parse(File.ReadAllText(PathOf(relative))).RootElement.Clone();

    public static object? At(this object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(key, out node))
            {
                return null;
            }
        }
        return node;
    }

    public static string? Text(this object? node, params string[] path) => node.At(path) as string;

    public static Dictionary<string, object?> Map(this object? node, params string[] path) =>
        node.At(path) as Dictionary<string, object?> ?? [];

    public static List<object?> List(this object? node, params string[] path) => node.At(path) as List<object?> ?? [];

    /// <summary>String keys throughout, so paths can be followed with plain strings.</summary>
    private static object? Normalise(object? node) => node switch
    {
        Dictionary<object, object?> map => map.ToDictionary(p => Convert.ToString(p.Key, System.Globalization.CultureInfo.InvariantCulture)!, p => Normalise(p.Value), StringComparer.Ordinal),
        List<object?> list => list.Select(Normalise).ToList(),
        _ => node,
    };

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
