using Chat.Authentication;
using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.Realtime;
using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("realtime");
builder.Services.AddChatStore(config, "chat-realtime");
builder.Services.AddClusterMembership();
builder.Services.AddSessionAuthentication();
builder.Services.AddBuildingBlocks(config);
builder.Services.AddRealtime(config);

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.MigrateBuildingBlocksAsync();
await app.Services.MigrateRealtimeAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.UseServiceDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapBuildingBlocks();
app.MapRealtime();
app.Run();
