using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.Jobs;
using Chat.Jobs.Core;
using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("jobs");
builder.Services.AddChatStore(config, "chat-jobs");
builder.Services.AddClusterMembership();
// Cluster events reach jobs nodes too (configuration reload, pool recycle); jobs record WebSocket events.
builder.Services.AddBuildingBlocks(config);
builder.Services.AddJobs(config);

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.MigrateBuildingBlocksAsync();
await app.Services.MigrateJobsAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.Services.HandleJobReminders();
app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapBuildingBlocks();
app.Run();
