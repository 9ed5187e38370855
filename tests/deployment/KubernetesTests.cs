namespace Chat.DeploymentTests;

/// <summary>deploy/k8s: the kustomization, the Dapr annotations, probes, Ingress routes, autoscalers and budgets, secrets.</summary>
public sealed class KubernetesTests
{
    [Theory]
    [InlineData(Deployment.KubernetesDir)]
    [InlineData(Deployment.KubernetesComponentsDir)]
    public void The_kustomization_lists_every_manifest_of_its_folder_and_nothing_missing(string dir)
    {
        var resources = Deployment.KustomizationResources(dir);
        Assert.Equal(resources.Count, resources.Distinct().Count());
        Assert.All(resources, r => Assert.True(File.Exists(Manifests.PathOf(r)) || File.Exists(Manifests.PathOf($"{r}/kustomization.yaml")), $"{dir}: {r} does not exist"));
        // Secret templates are applied by hand, filled in: never by the kustomization, which would overwrite real values.
        var manifests = Directory.EnumerateFiles(Manifests.PathOf(dir), "*.yaml")
            .Select(f => Path.GetRelativePath(Manifests.Root, f))
            .Where(f => Path.GetFileName(f) != "kustomization.yaml" && !f.EndsWith(".template.yaml", StringComparison.Ordinal));
        Assert.All(manifests, m => Assert.Contains(m, resources));
        Assert.DoesNotContain(Deployment.SecretTemplates, resources);
    }

    [Fact]
    public void The_kustomization_applies_the_kubernetes_components_and_every_image_it_sets_is_used()
    {
        Assert.Contains(Deployment.KubernetesComponentsDir, Deployment.KustomizationResources(Deployment.KubernetesDir));
        var images = Manifests.Load($"{Deployment.KubernetesDir}/kustomization.yaml").Single().Root.List("images").Select(i => i.Text("name")!).Order();
        Assert.Equal(Deployment.AppDeployments.Select(d => d.Container().Text("image")!).Order(), images);
        Assert.All(Deployment.Kubernetes, m => Assert.True(m.Kind == "Namespace" || m.Root.Text("metadata", "namespace") is null or "chat", $"{m}: another namespace"));
    }

    [Fact]
    public void Each_app_deployment_has_the_Dapr_annotations()
    {
        var configuration = Assert.Single(Deployment.Kubernetes.OfKind("Configuration")).Name;
        foreach (var deployment in Deployment.AppDeployments)
        {
            Assert.Equal(configuration, deployment.Annotation("dapr.io/config"));
            Assert.Equal("true", deployment.Annotation("dapr.io/enable-app-health-check"));
            Assert.Equal("/healthz", deployment.Annotation("dapr.io/app-health-check-path"));
            Assert.Equal("http", deployment.Annotation("dapr.io/app-protocol"));
            foreach (var annotation in new[] { "dapr.io/api-token-secret", "dapr.io/app-token-secret" })
            {
                var secret = deployment.Annotation(annotation)!;
                Assert.True(Deployment.SecretValue(secret, "token") is not null, $"{deployment}: {annotation} {secret} has no 'token' in {Deployment.SecretTemplates}");
            }
            // The app reads the same tokens (our own client and endpoints check them, no Dapr SDK).
            var env = deployment.Container().List("env");
            Assert.Equal(deployment.Annotation("dapr.io/api-token-secret"), env.Single(e => e.Text("name") == "DAPR_API_TOKEN").Text("valueFrom", "secretKeyRef", "name"));
            Assert.Equal(deployment.Annotation("dapr.io/app-token-secret"), env.Single(e => e.Text("name") == "APP_API_TOKEN").Text("valueFrom", "secretKeyRef", "name"));
        }
    }

    [Fact]
    public void Readiness_probes_ask_readyz_and_liveness_probes_healthz_on_the_http_port()
    {
        var endpoints = File.ReadAllText(Manifests.PathOf("services/service-defaults/ServiceDefaultsExtensions.cs"));
        Assert.Contains("MapHealthChecks(\"/healthz\"", endpoints);
        Assert.Contains("MapHealthChecks(\"/readyz\"", endpoints);
        foreach (var deployment in Deployment.AppDeployments)
        {
            var container = deployment.Container();
            Assert.Equal(("/readyz", "http"), (container.Text("readinessProbe", "httpGet", "path"), container.Text("readinessProbe", "httpGet", "port")));
            Assert.Equal(("/healthz", "http"), (container.Text("livenessProbe", "httpGet", "path"), container.Text("livenessProbe", "httpGet", "port")));
            Assert.Equal("/healthz", container.Text("startupProbe", "httpGet", "path"));
        }
    }

    [Fact]
    public void Every_app_deployment_has_an_autoscaler_and_a_disruption_budget()
    {
        foreach (var deployment in Deployment.AppDeployments)
        {
            var hpa = Assert.Single(Deployment.Kubernetes.OfKind("HorizontalPodAutoscaler"), h => h.Root.Text("spec", "scaleTargetRef", "name") == deployment.Name);
            Assert.Equal("autoscaling/v2", hpa.Root.Text("apiVersion"));
            Assert.Equal("Deployment", hpa.Root.Text("spec", "scaleTargetRef", "kind"));
            Assert.True(int.Parse(hpa.Root.Text("spec", "minReplicas")!) >= 2, $"{hpa}: fewer than 2 replicas is not highly available");
            Assert.True(int.Parse(hpa.Root.Text("spec", "maxReplicas")!) >= int.Parse(hpa.Root.Text("spec", "minReplicas")!));

            var labels = deployment.Root.Map("spec", "selector", "matchLabels");
            var pdb = Assert.Single(Deployment.Kubernetes.OfKind("PodDisruptionBudget"), p => p.Root.Map("spec", "selector", "matchLabels").SequenceEqual(labels));
            Assert.Equal("policy/v1", pdb.Root.Text("apiVersion"));
            Assert.Equal("1", pdb.Root.Text("spec", "minAvailable"));
        }
    }

    [Fact]
    public void The_ingress_sends_websocket_and_hub_paths_to_realtime_with_long_timeouts_and_the_rest_to_api()
    {
        var ingresses = Deployment.Kubernetes.OfKind("Ingress").ToList();
        var routes = ingresses.SelectMany(i => i.Root.List("spec", "rules").SelectMany(r => r.List("http", "paths")).Select(p => (Ingress: i, Path: p.Text("path"), Type: p.Text("pathType"), Service: p.Text("backend", "service", "name"), Port: p.Text("backend", "service", "port", "name")))).ToList();
        Assert.All(ingresses, i => Assert.Equal("nginx", i.Root.Text("spec", "ingressClassName")));
        Assert.Equal(
            [("/", "Prefix", "chat-api"), ("/api/v4/users", "Exact", "chat-api"), ("/api/v4/users/login", "Exact", "chat-api"), ("/api/v4/users/websocket", "Exact", "chat-realtime"), ("/api/v4/websocket", "Exact", "chat-realtime"), ("/hubs/", "Prefix", "chat-realtime")],
            routes.Select(r => (r.Path!, r.Type!, r.Service!)).Order());
        foreach (var route in routes)
        {
            var service = Assert.Single(Deployment.Kubernetes.OfKind("Service"), s => s.Name == route.Service);
            Assert.Contains(service.Root.List("spec", "ports"), p => p.Text("name") == route.Port);
            var annotations = route.Ingress.Root.Map("metadata", "annotations");
            var readTimeout = int.Parse((string)annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]!);
            if (route.Service == "chat-realtime")
            {
                Assert.True(readTimeout >= 3600, $"{route.Path}: WebSockets need a long read timeout");
                Assert.True(int.Parse((string)annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]!) >= 3600);
            }
            else
            {
                Assert.Equal("100m", annotations["nginx.ingress.kubernetes.io/proxy-body-size"]);
            }
            Assert.DoesNotContain("non_idempotent", (string)annotations["nginx.ingress.kubernetes.io/proxy-next-upstream"]!);
            // Login and sign-up are limited per client address at the ingress, as at the bare-metal edge.
            Assert.Equal(route.Path is "/api/v4/users" or "/api/v4/users/login", annotations.ContainsKey("nginx.ingress.kubernetes.io/limit-rpm"));
        }
        // The bare-metal edge routes the same paths (deploy/nginx).
        var edge = File.ReadAllText(Manifests.PathOf("deploy/nginx/nginx.conf.template"));
        Assert.Contains("location ~ /api/v[0-9]+/(users/)?websocket$", edge);
        Assert.Contains("location /hubs/", edge);
        Assert.Contains("limit_req zone=authentication", edge);
        Assert.Contains("limit_conn authentication_connections", edge);
    }

    [Fact]
    public void Every_secret_the_manifests_reference_is_in_the_secret_templates()
    {
        var references = new List<(string Where, string Name, string? Key)>();
        foreach (var deployment in Deployment.Kubernetes.OfKind("Deployment"))
        {
            foreach (var container in deployment.Root.List("spec", "template", "spec", "containers"))
            {
                foreach (var env in container.List("env").Where(e => e.At("valueFrom", "secretKeyRef") is not null))
                {
                    references.Add((deployment.ToString(), env.Text("valueFrom", "secretKeyRef", "name")!, env.Text("valueFrom", "secretKeyRef", "key")));
                }
            }
        }
        foreach (var ingress in Deployment.Kubernetes.OfKind("Ingress"))
        {
            references.AddRange(ingress.Root.List("spec", "tls").Select(t => (ingress.ToString(), t.Text("secretName")!, (string?)null)));
        }
        Assert.NotEmpty(references);
        var templates = Deployment.Secrets.OfKind("Secret").ToList();
        Assert.All(templates, t => Assert.Equal("chat", t.Root.Text("metadata", "namespace")));
        foreach (var (where, name, key) in references)
        {
            var secret = templates.SingleOrDefault(s => s.Name == name);
            Assert.True(secret is not null, $"{where}: Secret {name} is not in {Deployment.SecretTemplates}");
            Assert.True(key is null || secret.Root.Map("stringData").ContainsKey(key), $"{where}: Secret {name} has no key {key}");
        }
        // Every template is used by something.
        Assert.All(templates, t => Assert.Contains(t.Name, references.Select(r => r.Name).Concat(Deployment.AppDeployments.Select(d => d.Annotation("dapr.io/app-token-secret")!))));
    }

    [Fact]
    public void Redis_and_Zipkin_run_in_the_cluster_under_the_addresses_the_components_use()
    {
        foreach (var (name, port) in new[] { ("redis", "6379"), ("zipkin", "9411"), ("otel-collector", "4318") })
        {
            Assert.Single(Deployment.Kubernetes.OfKind("Deployment"), d => d.Name == name);
            var service = Assert.Single(Deployment.Kubernetes.OfKind("Service"), s => s.Name == name);
            Assert.Contains(service.Root.List("spec", "ports"), p => p.Text("port") == port);
        }
        foreach (var component in Deployment.Components(Deployment.KubernetesComponentsDir).Where(c => c.Metadata("redisHost") is not null))
        {
            Assert.Equal("redis.chat.svc.cluster.local:6379", component.Metadata("redisHost"));
        }
    }

    [Fact]
    public void Pods_run_without_capabilities_service_account_tokens_or_unconfined_syscalls()
    {
        foreach (var deployment in Deployment.Kubernetes.OfKind("Deployment"))
        {
            var pod = deployment.Root.At("spec", "template", "spec");
            Assert.True(pod.Text("automountServiceAccountToken") == "false", $"{deployment}: automountServiceAccountToken");
            Assert.True(pod.Text("securityContext", "seccompProfile", "type") == "RuntimeDefault", $"{deployment}: seccomp");
        }
        foreach (var deployment in Deployment.AppDeployments)
        {
            var container = deployment.Container();
            Assert.Equal("true", deployment.Root.Text("spec", "template", "spec", "securityContext", "runAsNonRoot"));
            Assert.Equal(["ALL"], container.List("securityContext", "capabilities", "drop").Cast<string>());
            Assert.Equal("false", container.Text("securityContext", "allowPrivilegeEscalation"));
            Assert.Equal("true", container.Text("securityContext", "readOnlyRootFilesystem"));
        }
    }

    [Fact]
    public void Network_policies_deny_by_default_and_admit_only_the_ingress_to_the_edge_pods_and_only_the_apps_to_redis()
    {
        var policies = Deployment.Kubernetes.OfKind("NetworkPolicy").ToList();
        var deny = Assert.Single(policies, p => p.Root.Map("spec", "podSelector").Count == 0);
        Assert.Empty(deny.Root.List("spec", "ingress"));

        // Each pod label in the namespace, and which policies select it.
        static IEnumerable<string> Selected(Manifest policy) =>
            policy.Root.Text("spec", "podSelector", "matchLabels", "app.kubernetes.io/name") is { } one ? [one]
            : policy.Root.List("spec", "podSelector", "matchExpressions").SelectMany(e => e.List("values")).Cast<string>();
        static IEnumerable<object?> Sources(Manifest policy) => policy.Root.List("spec", "ingress").SelectMany(rule => rule.List("from"));

        foreach (var app in new[] { "chat-api", "chat-realtime" })
        {
            var fromOutside = policies.Where(p => Selected(p).Contains(app)).SelectMany(Sources).Where(s => s.At("namespaceSelector") is not null).ToList();
            Assert.Equal("ingress-nginx", Assert.Single(fromOutside).Text("namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
        }
        var apps = Deployment.AppIds.Order(StringComparer.Ordinal).ToList();
        foreach (var policy in policies.Where(p => Selected(p).Contains("redis")))
        {
            foreach (var source in Sources(policy))
            {
                Assert.Null(source.At("namespaceSelector"));
                Assert.Equal(apps, source.List("podSelector", "matchExpressions").SelectMany(e => e.List("values")).Cast<string>().Order(StringComparer.Ordinal));
            }
        }
        Assert.Contains(policies, p => Selected(p).Contains("redis"));
    }
}
