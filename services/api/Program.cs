using Chat.Api;
using Chat.Authentication;
using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.Jobs.Core;
using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("api");
builder.Services.AddChatStore(config, "chat-api");
builder.Services.AddClusterMembership();
builder.Services.AddSessionAuthentication();
builder.Services.AddBuildingBlocks(config);
builder.Services.AddApplicationServices();

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.MigrateBuildingBlocksAsync();
await app.Services.MigrateJobsAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.UseServiceDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapApiV4();
app.MapBuildingBlocks();
app.Run();
