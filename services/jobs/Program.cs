using Chat.ClusterMembership;
using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("jobs");
builder.Services.AddChatStore(config, "chat-jobs");
builder.Services.AddClusterMembership();

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.Run();
