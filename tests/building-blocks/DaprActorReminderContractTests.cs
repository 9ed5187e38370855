using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Chat.BuildingBlocks.Reminders;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Chat.BuildingBlocks.Tests;

/// <summary>
/// The Dapr reminder provider: its calls to the sidecar's actors API, and the app endpoints the sidecar calls
/// (docs.dapr.io/reference/api/actors_api, "Dapr calling to user service code"), driven as the sidecar drives them.
/// </summary>
[Collection("postgres")]
public sealed class DaprActorReminderContractTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Type = "job-schedule";

    private readonly ConcurrentQueue<(string ActorId, string Name, JsonElement? Data)> fired = new();
    private StandInSidecar sidecar = null!;
    private DaprAppNode node = null!;
    private Func<Task> behaviour = () => Task.CompletedTask;

    private IActorReminders Reminders => node.Services.GetRequiredService<IActorReminders>();

    public async Task InitializeAsync()
    {
        sidecar = await StandInSidecar.StartAsync(DaprAppNode.ApiToken);
        node = await DaprAppNode.StartAsync(await postgres.NewDatabaseAsync(), sidecar.Url, output, beforeStart: services =>
            services.GetRequiredService<IActorReminders>().Handle(Type, async (id, name, data, _) =>
            {
                await behaviour();
                fired.Enqueue((id, name, data));
            }));
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await sidecar.DisposeAsync();
    }

    [Fact]
    public async Task Register_and_unregister_call_the_documented_reminder_URL_with_Go_durations()
    {
        await Reminders.RegisterAsync(Type, "daily-digest", "run", TimeSpan.FromMilliseconds(1_500), TimeSpan.FromHours(25), JsonSerializer.SerializeToElement(new { job = "digest" }));
        var create = sidecar.Calls.Last();
        Assert.Equal("POST", create.Method);
        Assert.Equal("/v1.0/actors/job-schedule/daily-digest/reminders/run", create.RawTarget);
        Assert.Equal("application/json", create.ContentType);
        Assert.Equal(DaprAppNode.ApiToken, create.Token);
        Assert.Equal("""{"dueTime":"0h0m1s500ms","period":"25h0m0s0ms","data":{"job":"digest"}}""", create.Body);

        await Reminders.RegisterAsync(Type, "once", "run", TimeSpan.Zero);
        Assert.Equal("""{"dueTime":"0h0m0s0ms","period":""}""", sidecar.Calls.Last().Body);   // an empty period fires once

        await Reminders.UnregisterAsync(Type, "daily-digest", "run");
        var delete = sidecar.Calls.Last();
        Assert.Equal("DELETE", delete.Method);
        Assert.Equal("/v1.0/actors/job-schedule/daily-digest/reminders/run", delete.RawTarget);
        Assert.False(sidecar.Reminders.ContainsKey("job-schedule/daily-digest/run"));
        await Assert.ThrowsAsync<ArgumentException>(() => Reminders.RegisterAsync(Type, "a/b", "run", TimeSpan.Zero));
    }

    [Fact]
    public async Task Config_lists_the_handled_actor_types_with_durations_in_Go_format()
    {
        using var response = await Send(HttpMethod.Get, "/dapr/config");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"entities":["job-schedule"],"actorIdleTimeout":"1h0m0s0ms","drainOngoingCallTimeout":"0h0m30s0ms","drainRebalancedActors":true}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_firing_delivered_by_the_sidecar_runs_the_handler_with_the_registered_data()
    {
        await Reminders.RegisterAsync(Type, "daily-digest", "run", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), JsonSerializer.SerializeToElement(new { job = "digest" }));
        using var response = await sidecar.FireReminderAsync(node.Sidecar, Type, "daily-digest", "run", DaprAppNode.AppToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (actorId, name, data) = Assert.Single(fired);
        Assert.Equal("daily-digest", actorId);
        Assert.Equal("run", name);
        Assert.Equal("digest", data!.Value.GetProperty("job").GetString());

        await Reminders.RegisterAsync(Type, "no-data", "run", TimeSpan.Zero);
        using var withoutData = await sidecar.FireReminderAsync(node.Sidecar, Type, "no-data", "run", DaprAppNode.AppToken);
        Assert.Equal(HttpStatusCode.OK, withoutData.StatusCode);
        Assert.Null(fired.Last().Data);
    }

    [Fact]
    public async Task A_failing_handler_answers_500_so_the_sidecar_retries_and_unknown_actor_types_are_refused()
    {
        behaviour = () => throw new InvalidOperationException("database down");
        using var failed = await Send(HttpMethod.Put, "/actors/job-schedule/a/method/remind/run", """{"data":null,"dueTime":"0h0m0s0ms","period":""}""");
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("api.dapr.reminder_failed.app_error", (await failed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Empty(fired);

        using var unknown = await Send(HttpMethod.Put, "/actors/not-hosted/a/method/remind/run", """{"data":null}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var malformed = await Send(HttpMethod.Put, "/actors/job-schedule/a/method/remind/run", "not json");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        // Deactivation: these actors keep no state, so there is nothing to persist.
        using var deactivate = await Send(HttpMethod.Delete, "/actors/job-schedule/a");
        Assert.Equal(HttpStatusCode.OK, deactivate.StatusCode);
        using var deactivateUnknown = await Send(HttpMethod.Delete, "/actors/not-hosted/a");
        Assert.Equal(HttpStatusCode.BadRequest, deactivateUnknown.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Calls_without_the_app_token_are_refused_with_401(string? token)
    {
        using var config = await Send(HttpMethod.Get, "/dapr/config", token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, config.StatusCode);
        Assert.Equal("api.dapr.app_token.app_error", (await config.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        using var remind = await Send(HttpMethod.Put, "/actors/job-schedule/a/method/remind/run", """{"data":null}""", token);
        Assert.Equal(HttpStatusCode.Unauthorized, remind.StatusCode);
        using var deactivate = await Send(HttpMethod.Delete, "/actors/job-schedule/a", token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, deactivate.StatusCode);
        Assert.Empty(fired);
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? body = null, string? token = DaprAppNode.AppToken)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        return node.Sidecar.SendAsync(request);
    }
}
