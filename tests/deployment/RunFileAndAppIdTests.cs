using Chat.Configuration;

namespace Chat.DeploymentTests;

/// <summary>
/// Every YAML file parses, and the app ids, ports and settings agree between the services, the Multi-App Run file,
/// the Kubernetes Deployments and the components' scopes.
/// </summary>
public sealed class RunFileAndAppIdTests
{
    [Fact]
    public void Every_yaml_file_under_components_and_deploy_parses_and_every_resource_is_named()
    {
        var files = Manifests.AllYamlFiles();
        Assert.True(files.Count >= 20, $"only {files.Count} YAML files: {string.Join(", ", files)}");
        foreach (var file in files)
        {
            var documents = Manifests.Load(file);
            Assert.NotEmpty(documents);
            foreach (var document in documents.Where(d => d.Root.Text("apiVersion") is not null && d.Kind != "Kustomization"))
            {
                Assert.False(string.IsNullOrEmpty(document.Kind), $"{document}: no kind");
                Assert.False(string.IsNullOrEmpty(document.Name), $"{document}: no metadata.name");
            }
        }
    }

    [Fact]
    public void The_services_are_api_jobs_and_realtime()
    {
        Assert.Equal(["api", "jobs", "realtime"], Deployment.Services);
    }

    [Fact]
    public void The_run_file_starts_every_service_under_its_app_id_from_its_build_output()
    {
        Assert.Equal("1", Deployment.Run.Text("version"));
        Assert.Equal(Deployment.AppIds.Order(), Deployment.RunApps.Select(a => a.Text("appID")!).Order());
        foreach (var service in Deployment.Services)
        {
            var app = Deployment.RunApps.Single(a => a.Text("appID") == Deployment.AppId(service));
            var assembly = "Chat." + char.ToUpperInvariant(service[0]) + service[1..];
            Assert.True(File.Exists(Manifests.PathOf($"services/{service}/{assembly}.csproj")), $"no project {assembly}");
            Assert.Equal($"../../services/{service}/bin/Release/net10.0/", app.Text("appDirPath"));
            Assert.Equal(["dotnet", $"{assembly}.dll"], app.List("command").Cast<string>());
            Assert.Equal(Deployment.AppId(service), Deployment.RunEnvironment(app)["OTEL_SERVICE_NAME"]);
        }
        Assert.Equal(3, Deployment.RunApps.Select(a => a.Text("appPort")).Distinct().Count());
        Assert.Equal(3, Deployment.RunApps.Select(a => a.Text("daprHTTPPort")).Distinct().Count());
    }

    [Fact]
    public void The_run_file_points_at_the_local_components_and_configuration()
    {
        var common = Deployment.Run.Map("common");
        var resources = Path.GetFullPath(Path.Combine(Manifests.PathOf("deploy/dapr"), (string)common["resourcesPath"]!));
        Assert.Equal(Manifests.PathOf(Deployment.LocalComponentsDir), resources);
        var configuration = Path.GetRelativePath(Manifests.Root, Path.GetFullPath(Path.Combine(Manifests.PathOf("deploy/dapr"), (string)common["configFilePath"]!)));
        Assert.Equal("Configuration", Assert.Single(Manifests.Load(configuration)).Kind);
        Assert.Equal("true", common["enableAppHealthCheck"]);
        Assert.Equal("/healthz", common["appHealthCheckPath"]);
    }

    /// <summary>The configuration each app gets loads (ConfigLoader, as the service does) and listens where Dapr calls it.</summary>
    [Fact]
    public void Each_run_file_app_configures_the_Dapr_provider_and_listens_on_its_app_port()
    {
        foreach (var app in Deployment.RunApps)
        {
            var environment = Deployment.RunEnvironment(app);
            AssertSettingsExist(environment, app.Text("appID")!);
            var config = ConfigLoader.Load(null, environment);
            ConfigValidator.RequireDatabase(config);
            Assert.Equal("Dapr", config.DaprSettings.Provider);
            Assert.True(ListenAddress.TryParse(config.ServiceSettings.ListenAddress, out var listen));
            Assert.Equal(app.Text("appPort"), listen.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void The_kubernetes_deployments_carry_the_same_app_ids_and_service_names()
    {
        var deployments = Deployment.AppDeployments;
        Assert.Equal(Deployment.AppIds.Order(), deployments.Select(d => d.Annotation("dapr.io/app-id")!).Order());
        foreach (var deployment in deployments)
        {
            var appId = deployment.Annotation("dapr.io/app-id");
            Assert.Equal(appId, deployment.Name);
            Assert.Equal(appId, Deployment.ResolvedEnvironment(deployment.Container())["OTEL_SERVICE_NAME"]);
            Assert.Equal($"chat-{deployment.Container().Text("name")}", appId);
        }
    }

    [Fact]
    public void Each_kubernetes_deployment_configures_the_Dapr_provider_and_listens_on_the_app_port_its_probes_and_service_use()
    {
        foreach (var deployment in Deployment.AppDeployments)
        {
            var container = deployment.Container();
            var environment = Deployment.ResolvedEnvironment(container);
            AssertSettingsExist(environment, deployment.Name!);
            var config = ConfigLoader.Load(null, environment);
            ConfigValidator.RequireDatabase(config);
            Assert.Equal("Dapr", config.DaprSettings.Provider);
            Assert.NotEmpty(config.SqlSettings.DataSourceReplicas);
            Assert.True(ListenAddress.TryParse(config.ServiceSettings.ListenAddress, out var listen));
            Assert.Equal("0.0.0.0", listen.Host);
            var port = listen.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(port, deployment.Annotation("dapr.io/app-port"));
            var http = container.List("ports").Single(p => p.Text("name") == "http");
            Assert.Equal(port, http.Text("containerPort"));

            var service = Deployment.Kubernetes.OfKind("Service").Single(s => s.Name == deployment.Name);
            Assert.Equal(deployment.Root.Map("spec", "selector", "matchLabels"), service.Root.Map("spec", "selector"));
            Assert.Equal("http", Assert.Single(service.Root.List("spec", "ports")).Text("targetPort"));
        }
    }

    /// <summary>An MM_ variable naming no setting would be ignored silently by the loader.</summary>
    private static void AssertSettingsExist(Dictionary<string, string?> environment, string app)
    {
        foreach (var name in environment.Keys.Where(k => k.StartsWith("MM_", StringComparison.Ordinal)))
        {
            var parts = name["MM_".Length..].Split('_', 2);
            var section = typeof(ChatConfig).GetProperties().SingleOrDefault(p => string.Equals(p.Name, parts[0], StringComparison.OrdinalIgnoreCase));
            Assert.True(section is not null, $"{app}: {name} names no section of ChatConfig");
            Assert.True(parts.Length == 2 && section.PropertyType.GetProperties().Any(p => string.Equals(p.Name, parts[1], StringComparison.OrdinalIgnoreCase)),
                $"{app}: {name} names no setting of {section.Name}");
        }
    }
}
