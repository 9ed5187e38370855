using System.Globalization;
using System.Text.RegularExpressions;

namespace Chat.DeploymentTests;

/// <summary>Traces to Zipkin (sidecars directly, services through the OpenTelemetry Collector), and the nginx edge template's contract.</summary>
public sealed partial class TracingAndEdgeTests
{
    [Theory]
    [InlineData("components/local/configuration.yaml", "http://127.0.0.1:9411/api/v2/spans")]
    [InlineData("components/kubernetes/configuration.yaml", "http://zipkin.chat.svc.cluster.local:9411/api/v2/spans")]
    public void The_sidecars_trace_to_Zipkin(string file, string endpoint)
    {
        var configuration = Assert.Single(Manifests.Load(file));
        Assert.Equal("Configuration", configuration.Kind);
        Assert.Equal(endpoint, configuration.Root.Text("spec", "tracing", "zipkin", "endpointAddress"));
        var rate = double.Parse(configuration.Root.Text("spec", "tracing", "samplingRate")!, CultureInfo.InvariantCulture);
        Assert.InRange(rate, 0.0001, 1);
    }

    [Fact]
    public void The_collector_configurations_forward_OTLP_to_Zipkin()
    {
        var local = Assert.Single(Manifests.Load("deploy/otel/collector.yaml")).Root;
        var configMap = Assert.Single(Deployment.Kubernetes.OfKind("ConfigMap"), c => c.Name == "otel-collector");
        var inCluster = Assert.Single(Manifests.Parse(configMap.Root.Text("data", "collector.yaml")!, "otel-collector ConfigMap")).Root;
        foreach (var (config, zipkin) in new[] { (local, "http://127.0.0.1:9411/api/v2/spans"), (inCluster, "http://zipkin.chat.svc.cluster.local:9411/api/v2/spans") })
        {
            var traces = config.Map("service", "pipelines", "traces");
            Assert.Equal(["otlp"], traces["receivers"].List().Cast<string>());
            Assert.Equal(["zipkin"], traces["exporters"].List().Cast<string>());
            Assert.All(traces["processors"].List().Cast<string>(), p => Assert.True(config.Map("processors").ContainsKey(p), p));
            Assert.Equal(zipkin, config.Text("exporters", "zipkin", "endpoint"));
            Assert.Equal(["grpc", "http"], config.Map("receivers", "otlp", "protocols").Keys.Order());
        }
        var mount = Assert.Single(Deployment.Kubernetes.OfKind("Deployment"), d => d.Name == "otel-collector");
        Assert.Contains("--config=/etc/otelcol/collector.yaml", mount.Container().List("args").Cast<string>());
    }

    [Fact]
    public void The_services_export_OTLP_to_the_collector_under_their_app_id()
    {
        foreach (var deployment in Deployment.AppDeployments)
        {
            var env = Deployment.ResolvedEnvironment(deployment.Container());
            Assert.Equal("http://otel-collector.chat.svc.cluster.local:4318", env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.Equal("http/protobuf", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
            Assert.Equal(deployment.Annotation("dapr.io/app-id"), env["OTEL_SERVICE_NAME"]);
            // Parent-based: the api's decision holds for the realtime node's spans of the same trace.
            Assert.Equal("parentbased_traceidratio", env["OTEL_TRACES_SAMPLER"]);
            Assert.InRange(double.Parse(env["OTEL_TRACES_SAMPLER_ARG"]!, CultureInfo.InvariantCulture), 0, 1);
        }
        var local = Manifests.Load("deploy/otel/collector.yaml").Single().Root.Text("receivers", "otlp", "protocols", "http", "endpoint");
        Assert.All(Deployment.RunApps, app => Assert.Equal($"http://{local}", Deployment.RunEnvironment(app)["OTEL_EXPORTER_OTLP_ENDPOINT"]));
        Assert.All(Deployment.RunApps, app => Assert.Equal("http/protobuf", Deployment.RunEnvironment(app)["OTEL_EXPORTER_OTLP_PROTOCOL"]));
        // Without OTEL_SERVICE_NAME a service names itself chat-<service>, which is its app id as well.
        Assert.Contains("?? $\"chat-{node.Service}\"", File.ReadAllText(Manifests.PathOf("services/service-defaults/Telemetry.cs")));
    }

    /// <summary>
    /// The template's placeholders are exactly those the launcher (deploy/local/lib/edge.sh) and the test harness's edge
    /// (tests/harness/EdgeProxy.cs) fill in; a new one in only one place would reach nginx unreplaced.
    /// </summary>
    [Fact]
    public void The_nginx_template_placeholders_are_the_ones_the_launcher_and_the_test_edge_fill_in()
    {
        var template = File.ReadAllText(Manifests.PathOf("deploy/nginx/nginx.conf.template"));
        var body = string.Join('\n', template.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        var placeholders = Placeholder().Matches(body).Select(m => m.Value).ToHashSet();
        Assert.Equal(11, placeholders.Count);
        foreach (var renderer in new[] { "deploy/local/lib/edge.sh", "tests/harness/EdgeProxy.cs" })
        {
            var filled = Placeholder().Matches(File.ReadAllText(Manifests.PathOf(renderer))).Select(m => m.Value).ToHashSet();
            Assert.True(placeholders.SetEquals(filled), $"{renderer} fills {string.Join(' ', filled.Order())}; the template has {string.Join(' ', placeholders.Order())}");
        }
    }

    [Fact]
    public void The_nginx_edge_has_the_guides_essentials()
    {
        var template = File.ReadAllText(Manifests.PathOf("deploy/nginx/nginx.conf.template"));
        Assert.Contains("upstream backend {", template);
        Assert.Contains("upstream realtime {", template);
        Assert.Contains("keepalive 256;", template);
        Assert.Contains("client_max_body_size 100M;", template);
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", template);
        Assert.Contains("proxy_set_header Connection $connection_upgrade;", template);
        Assert.Contains("proxy_http_version 1.1;", template);
        Assert.Contains("max_fails=1", template);
        Assert.Matches(@"listen \{\{LISTEN\}\} reuseport;", template);
    }

    [GeneratedRegex(@"\{\{[A-Z_]+\}\}")]
    private static partial Regex Placeholder();
}
