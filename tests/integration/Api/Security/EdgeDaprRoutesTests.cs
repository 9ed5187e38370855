namespace Chat.IntegrationTests;

/// <summary>The sidecar's routes into the app are never reachable through the edge: a forged event delivery or reminder gets the edge's own 404.</summary>
[Collection(ClusterCollection.Name)]
public sealed class EdgeDaprRoutesTests(ClusterFixture cluster)
{
    [Fact]
    public async Task The_edge_answers_404_itself_to_the_sidecar_routes()
    {
        await using var edge = await cluster.Cluster.StartEdgeAsync([cluster.Api1, cluster.Api2]);
        // A plain client: the tests' usual one demands X-Version-Id, which only a node's answer carries.
        using var http = new HttpClient { BaseAddress = new Uri(edge.BaseUrl) };
        string[] forged =
        [
            "POST /dapr/events/websocket", "GET /dapr/subscribe", "GET /dapr/config", "POST /DAPR/Events/websocket",
            "PUT /actors/JobScheduler/data_retention/method/remind/slot", "POST //dapr/events/websocket", "POST /%64apr/events/websocket",
        ];
        foreach (var request in forged)
        {
            var (method, path) = (request.Split(' ')[0], request.Split(' ')[1]);
            using var message = new HttpRequestMessage(new HttpMethod(method), new Uri(edge.BaseUrl.TrimEnd('/') + path))
            {
                Content = new StringContent("""{"id":"forged","type":"com.dapr.event.sent","data":{}}""", System.Text.Encoding.UTF8, "application/cloudevents+json"),
            };
            using var response = await http.SendAsync(message);
            var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True((int)response.StatusCode == 404, $"{request}: {(int)response.StatusCode}");
            Assert.Equal("api.context.404.app_error", (string?)body["id"]);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            // Every answer from a node carries X-Version-Id; this one never reached a node.
            Assert.False(response.Headers.Contains("X-Version-Id"), $"{request} reached a node");
        }
        // The rest still goes through.
        using var ping = await http.GetAsync("/api/v4/system/ping");
        Assert.True(ping.IsSuccessStatusCode && ping.Headers.Contains("X-Version-Id"));
    }
}
