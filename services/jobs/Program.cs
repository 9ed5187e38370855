using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("jobs");
builder.Services.AddChatStore(config, "chat-jobs");
builder.Services.AddClusterMembership();
// Cluster events reach jobs nodes too (configuration reload, pool recycle).
builder.Services.AddBuildingBlocks(config);

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.MigrateBuildingBlocksAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapBuildingBlocks();
app.Run();
