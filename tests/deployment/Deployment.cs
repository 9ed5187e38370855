namespace Chat.DeploymentTests;

/// <summary>
/// The deployment as the repository describes it: the services, the Dapr Multi-App Run file, the Dapr components
/// (local and Kubernetes) and the Kubernetes manifests the kustomization applies.
/// </summary>
public static class Deployment
{
    public const string RunFile = "deploy/dapr/dapr.yaml";
    public const string KubernetesDir = "deploy/k8s";
    public const string SecretTemplates = "deploy/k8s/secrets.template.yaml";
    public const string LocalComponentsDir = "components/local";
    public const string KubernetesComponentsDir = "components/kubernetes";

    /// <summary>The services with an entry point (services/*/Program.cs): api, jobs, realtime.</summary>
    public static IReadOnlyList<string> Services { get; } =
        [.. Directory.EnumerateDirectories(Manifests.PathOf("services"))
            .Where(d => File.Exists(Path.Combine(d, "Program.cs")))
            .Select(Path.GetFileName)
            .Cast<string>()
            .Order(StringComparer.Ordinal)];

    /// <summary>A service's Dapr app id, also its OpenTelemetry service name and its database application name.</summary>
    public static string AppId(string service) => "chat-" + service;

    public static IReadOnlyList<string> AppIds => [.. Services.Select(AppId)];

    public static object? Run => Manifests.Load(RunFile).Single().Root;

    public static IEnumerable<object?> RunApps => Run.List("apps");

    /// <summary>What the kustomization in deploy/k8s applies: its files and the folders (other kustomizations) it names.</summary>
    public static IReadOnlyList<Manifest> Kubernetes
    {
        get
        {
            var manifests = new List<Manifest>();
            Collect(KubernetesDir, manifests);
            return manifests;
        }
    }

    public static IReadOnlyList<Manifest> Secrets => Manifests.Load(SecretTemplates);

    public static IEnumerable<Manifest> OfKind(this IEnumerable<Manifest> manifests, string kind) => manifests.Where(m => m.Kind == kind);

    /// <summary>The Deployments that run a service with a Dapr sidecar.</summary>
    public static IReadOnlyList<Manifest> AppDeployments =>
        [.. Kubernetes.OfKind("Deployment").Where(d => d.Root.Text("spec", "template", "metadata", "annotations", "dapr.io/enabled") == "true")];

    public static string? Annotation(this Manifest deployment, string name) =>
        deployment.Root.Text("spec", "template", "metadata", "annotations", name);

    public static object? Container(this Manifest deployment) => deployment.Root.List("spec", "template", "spec", "containers").First();

    public static IReadOnlyList<Manifest> Components(string dir) => [.. Manifests.LoadFolder(dir).OfKind("Component")];

    public static string? Metadata(this Manifest component, string name) =>
        component.Root.List("spec", "metadata").FirstOrDefault(m => m.Text("name") == name).Text("value");

    public static IReadOnlyList<string> Scopes(this Manifest manifest) => [.. manifest.Root.List("scopes").Cast<string>()];

    /// <summary>
    /// A container's environment with every reference resolved the way Kubernetes would: Secrets from the secret
    /// templates, ConfigMaps from the manifests, the pod name for fieldRef metadata.name.
    /// </summary>
    public static Dictionary<string, string?> ResolvedEnvironment(object? container)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var variable in container.List("env"))
        {
            var name = variable.Text("name")!;
            if (variable.Text("value") is { } value)
            {
                environment[name] = value;
            }
            else if (variable.At("valueFrom", "secretKeyRef") is { } secret)
            {
                environment[name] = SecretValue(secret.Text("name")!, secret.Text("key")!)
                    ?? throw new InvalidOperationException($"{name}: secret {secret.Text("name")}/{secret.Text("key")} is not in {SecretTemplates}");
            }
            else if (variable.At("valueFrom", "configMapKeyRef") is { } configMap)
            {
                environment[name] = Kubernetes.OfKind("ConfigMap").FirstOrDefault(c => c.Name == configMap.Text("name"))?.Root.Text("data", configMap.Text("key")!)
                    ?? throw new InvalidOperationException($"{name}: ConfigMap {configMap.Text("name")}/{configMap.Text("key")} is not in the kustomization");
            }
            else if (variable.Text("valueFrom", "fieldRef", "fieldPath") == "metadata.name")
            {
                environment[name] = "pod-0";
            }
            else
            {
                throw new InvalidOperationException($"{name}: a value source this test does not know");
            }
        }
        return environment;
    }

    public static string? SecretValue(string secret, string key) =>
        Secrets.OfKind("Secret").FirstOrDefault(s => s.Name == secret)?.Root.Text("stringData", key);

    /// <summary>The Multi-App Run environment of one app: common env, overridden by the app's own.</summary>
    public static Dictionary<string, string?> RunEnvironment(object? app)
    {
        var environment = Run.Map("common", "env").ToDictionary(p => p.Key, p => p.Value as string, StringComparer.Ordinal);
        foreach (var (key, value) in app.Map("env"))
        {
            environment[key] = value as string;
        }
        return environment;
    }

    /// <summary>The kustomization's resources (files and folders), relative to the repository root.</summary>
    public static IReadOnlyList<string> KustomizationResources(string dir) =>
        [.. Manifests.Load($"{dir}/kustomization.yaml").Single().Root.List("resources").Cast<string>()
            .Select(r => Path.GetRelativePath(Manifests.Root, Path.GetFullPath(Path.Combine(Manifests.PathOf(dir), r))))];

    private static void Collect(string dir, List<Manifest> into)
    {
        foreach (var resource in KustomizationResources(dir))
        {
            if (Directory.Exists(Manifests.PathOf(resource)))
            {
                Collect(resource, into);
            }
            else
            {
                into.AddRange(Manifests.Load(resource));
            }
        }
    }
}
