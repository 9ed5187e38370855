using System.Net.Http.Headers;
using System.Text;
using Chat.BuildingBlocks.PubSub;
using Chat.BuildingBlocks.PubSub.Dapr;
using Chat.Configuration;
using Chat.SchemaMigrations;
using Chat.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// An application node in Dapr mode, wired as a service wires it (AddBuildingBlocks, MapBuildingBlocks) on a real
/// Kestrel port. <see cref="Sidecar"/> is an HTTP client that calls the app the way the sidecar does.
/// </summary>
internal sealed class DaprAppNode : IAsyncDisposable
{
    public const string ApiToken = "api-token-for-the-sidecar";
    public const string AppToken = "app-token-from-the-sidecar";

    private readonly WebApplication app;
    private readonly NpgsqlDataSource dataSource;

    private DaprAppNode(WebApplication app, NpgsqlDataSource dataSource, Uri url)
    {
        this.app = app;
        this.dataSource = dataSource;
        Sidecar = new HttpClient { BaseAddress = url };
    }

    public HttpClient Sidecar { get; }

    public IEventBus Bus => app.Services.GetRequiredService<IEventBus>();

    public DaprEventBus DaprBus => app.Services.GetRequiredService<DaprEventBus>();

    public NpgsqlDataSource DataSource => dataSource;

    public IServiceProvider Services => app.Services;

    public static async Task<DaprAppNode> StartAsync(string connectionString, Uri sidecar, ITestOutputHelper output, Action<IEventBus>? subscribe = null, string apiToken = ApiToken, Action<IServiceProvider>? beforeStart = null)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new LoggerFactoryProvider(TestLogs.Factory(output, $"app:{port}")));
        var dataSource = NpgsqlDataSource.Create(connectionString);
        builder.Services.AddSingleton(dataSource);
        var config = new ChatConfig { DaprSettings = { Provider = "Dapr", PubSubName = "pubsub" } };
        builder.Services.AddBuildingBlocks(config, o =>
        {
            o.Dapr.HttpEndpoint = sidecar;
            o.Dapr.ApiToken = apiToken;
            o.Dapr.AppApiToken = AppToken;
            o.Dapr.AppId = "chat-api";
            o.Embedded.PollInterval = TimeSpan.FromSeconds(5);
        });
        var app = builder.Build();
        subscribe?.Invoke(app.Services.GetRequiredService<IEventBus>());
        beforeStart?.Invoke(app.Services);
        app.MapBuildingBlocks();
        await app.Services.MigrateDatabaseAsync();
        await app.StartAsync();
        return new DaprAppNode(app, dataSource, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>Delivers <paramref name="body"/> as the sidecar does: POST to the topic's route.</summary>
    public Task<HttpResponseMessage> DeliverAsync(string topic, string body, string? token = AppToken, string contentType = "application/cloudevents+json", string? traceParent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/dapr/events/{topic}") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }
        return Sidecar.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Sidecar.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        await dataSource.DisposeAsync();
    }

    private sealed class LoggerFactoryProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

        public void Dispose() => factory.Dispose();
    }
}
