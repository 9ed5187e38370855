using System.Text.Json;
using Chat.Configuration;

namespace Chat.DeploymentTests;

/// <summary>
/// The Dapr components, local and Kubernetes: the names the code uses, the types and settings the design relies on
/// (a consumer group per instance, PostgreSQL v2 as the actor state store), scopes, secrets and the resiliency policy.
/// </summary>
public sealed class ComponentTests
{
    public static TheoryData<string> Variants => new() { Deployment.LocalComponentsDir, Deployment.KubernetesComponentsDir };

    /// <summary>
    /// DaprSettings' component-name settings (PubSubName, and StateStoreName and LockStoreName once those providers
    /// exist) are the names the providers call; each default must name a component of the matching type, in both variants.
    /// </summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_component_name_the_code_uses_has_a_component_of_its_type(string dir)
    {
        var components = Deployment.Components(dir);
        var defaults = new DaprSettings();
        (string Marker, string Type)[] kinds = [("PubSub", "pubsub."), ("StateStore", "state."), ("LockStore", "lock."), ("SecretStore", "secretstores.")];
        var names = typeof(DaprSettings).GetProperties()
            .Where(p => p.PropertyType == typeof(string) && p.Name.EndsWith("Name", StringComparison.Ordinal))
            .Select(p => (Setting: p.Name, Name: (string)p.GetValue(defaults)!, Type: kinds.FirstOrDefault(k => p.Name.Contains(k.Marker, StringComparison.Ordinal)).Type))
            .Where(n => n.Type is not null)
            .ToList();
        Assert.Contains(names, n => n.Setting == nameof(DaprSettings.PubSubName));
        foreach (var (setting, name, type) in names)
        {
            var component = components.SingleOrDefault(c => c.Name == name);
            Assert.True(component is not null, $"{dir}: no component named '{name}' (DaprSettings.{setting})");
            Assert.StartsWith(type, component.Root.Text("spec", "type"));
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Pub_sub_is_Redis_Streams_with_a_consumer_group_per_instance(string dir)
    {
        var pubsub = Deployment.Components(dir).Single(c => c.Name == new DaprSettings().PubSubName);
        Assert.Equal("pubsub.redis", pubsub.Root.Text("spec", "type"));
        var consumer = pubsub.Metadata("consumerID")!;
        // A template tag resolved per process (self-hosted) or per pod (Kubernetes): never shared by two instances.
        Assert.True(consumer.Contains("{uuid}", StringComparison.Ordinal) || consumer.Contains("{podName}", StringComparison.Ordinal), consumer);
        Assert.Equal(dir == Deployment.KubernetesComponentsDir ? "{appID}-{podName}" : "{appID}-{uuid}", consumer);
        Assert.Equal("1", pubsub.Metadata("concurrency"));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_state_store_is_PostgreSQL_v2_and_the_actor_state_store_and_locks_are_Redis(string dir)
    {
        var components = Deployment.Components(dir);
        var state = Assert.Single(components, c => c.Root.Text("spec", "type") == "state.postgresql");
        Assert.Equal("v2", state.Root.Text("spec", "version"));
        Assert.Equal("true", state.Metadata("actorStateStore"));
        Assert.Single(components, c => c.Metadata("actorStateStore") == "true");
        Assert.Equal("v1", Assert.Single(components, c => c.Root.Text("spec", "type") == "lock.redis").Root.Text("spec", "version"));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_component_and_the_resiliency_policy_are_scoped_to_our_app_ids(string dir)
    {
        var resources = Manifests.LoadFolder(dir).Where(m => m.Kind is "Component" or "Resiliency").ToList();
        Assert.NotEmpty(resources);
        foreach (var resource in resources)
        {
            var scopes = resource.Scopes();
            Assert.NotEmpty(scopes);
            Assert.All(scopes, s => Assert.Contains(s, Deployment.AppIds));
        }
        // Every app that uses pub/sub (api and realtime run the outbox relay) can see it.
        Assert.Equal(Deployment.AppIds.Order(), Deployment.Components(dir).Single(c => c.Name == "pubsub").Scopes().Order());
    }

    [Fact]
    public void Both_variants_define_the_same_components_apart_from_the_local_secret_store()
    {
        string Describe(Manifest c) => $"{c.Name} {c.Root.Text("spec", "type")} {c.Root.Text("spec", "version")}";
        var local = Deployment.Components(Deployment.LocalComponentsDir).Where(c => !c.Root.Text("spec", "type")!.StartsWith("secretstores.", StringComparison.Ordinal));
        Assert.Equal(local.Select(Describe).Order(), Deployment.Components(Deployment.KubernetesComponentsDir).Select(Describe).Order());
    }

    /// <summary>No plain-text secrets: passwords and connection strings come through secretKeyRef, and each resolves.</summary>
    [Fact]
    public void Local_secret_references_resolve_from_the_local_secret_store_file()
    {
        var components = Deployment.Components(Deployment.LocalComponentsDir);
        var store = Assert.Single(components, c => c.Root.Text("spec", "type") == "secretstores.local.file");
        var file = store.Metadata("secretsFile")!;
        // Relative to daprd's working directory, which Multi-App Run sets to each app's appDirPath: it must name the
        // same file from every app.
        var resolved = Deployment.RunApps
            .Select(app => Path.GetRelativePath(Manifests.Root, Path.GetFullPath(Path.Combine(Manifests.PathOf("deploy/dapr"), app.Text("appDirPath")!, file))))
            .Distinct()
            .ToList();
        Assert.Equal(["components/local-secrets.json"], resolved);
        var secrets = Manifests.LoadJson(resolved[0]);
        foreach (var component in components.Where(c => c != store))
        {
            foreach (var reference in SecretReferences(component))
            {
                Assert.Equal(store.Name, component.Root.Text("auth", "secretStore"));
                Assert.True(secrets.TryGetProperty(reference.Name, out var value) && value.ValueKind == JsonValueKind.String,
                    $"{component}: secret '{reference.Name}' is not in {file}");
                Assert.Equal(reference.Name, reference.Key);
            }
        }
        Assert.NotEmpty(components.SelectMany(SecretReferences));
    }

    /// <summary>daprd loads every YAML file of a resources folder (by kind) and warns about anything else in it.</summary>
    [Fact]
    public void The_local_resources_folder_holds_only_YAML()
    {
        Assert.All(Directory.EnumerateFiles(Manifests.PathOf(Deployment.LocalComponentsDir)), f => Assert.EndsWith(".yaml", f));
    }

    [Fact]
    public void Kubernetes_secret_references_name_keys_of_the_secret_templates()
    {
        var references = Deployment.Components(Deployment.KubernetesComponentsDir).SelectMany(SecretReferences).ToList();
        Assert.NotEmpty(references);
        foreach (var (name, key) in references)
        {
            Assert.True(Deployment.SecretValue(name, key) is not null, $"secretKeyRef {name}/{key} is not in {Deployment.SecretTemplates}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Sensitive_metadata_never_has_a_plain_value(string dir)
    {
        foreach (var component in Deployment.Components(dir))
        {
            foreach (var item in component.Root.List("spec", "metadata"))
            {
                var name = item.Text("name")!;
                if (name.Contains("password", StringComparison.OrdinalIgnoreCase) || name.Contains("connectionString", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.True(item.At("secretKeyRef") is not null, $"{component}: {name} must come from a secretKeyRef");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_resiliency_policy_targets_pub_sub_with_policies_it_defines(string dir)
    {
        var resiliency = Assert.Single(Manifests.LoadFolder(dir).OfKind("Resiliency"));
        var policies = resiliency.Root.Map("spec", "policies");
        var pubsub = resiliency.Root.Map("spec", "targets", "components", new DaprSettings().PubSubName);
        Assert.Equal(["inbound", "outbound"], pubsub.Keys.Order());
        foreach (var (direction, target) in pubsub)
        {
            var uses = target.Map();
            Assert.Contains("retry", uses.Keys);
            foreach (var (kind, policy) in uses)
            {
                var section = kind switch { "retry" => "retries", "timeout" => "timeouts", "circuitBreaker" => "circuitBreakers", _ => kind };
                Assert.True(policies.Map(section).ContainsKey((string)policy!), $"{direction} {kind} '{policy}' is not defined under policies.{section}");
            }
        }
    }

    private static IEnumerable<(string Name, string Key)> SecretReferences(Manifest component) =>
        component.Root.List("spec", "metadata")
            .Where(m => m.At("secretKeyRef") is not null)
            .Select(m => (m.Text("secretKeyRef", "name")!, m.Text("secretKeyRef", "key")!));
}
