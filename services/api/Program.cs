using Chat.Api;
using Chat.Api.Plugins;
using Chat.Authentication;
using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.SchemaMigrations;
using Chat.ServiceDefaults;
using Chat.Store;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("api");
builder.Services.AddStore(config, "chat-api");
builder.Services.AddClusterMembership();
builder.Services.AddSessionAuthentication();
builder.Services.AddBuildingBlocks(config);
builder.Services.AddApiV4();
builder.Services.AddPluginHosting(config);

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.UseServiceDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapApiV4();
app.MapPluginHttp();
app.MapBuildingBlocks();
app.Run();
