using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.Jobs;
using Chat.SchemaMigrations;
using Chat.ServiceDefaults;
using Chat.Store;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("jobs");
builder.Services.AddStore(config, "chat-jobs");
builder.Services.AddClusterMembership();
// Cluster events reach jobs nodes too (configuration reload, pool recycle); jobs record WebSocket events.
builder.Services.AddBuildingBlocks(config);
builder.Services.AddJobs(config);

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.Services.HandleJobReminders();
app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapBuildingBlocks();
app.Run();
