using Chat.Authentication;
using Chat.BuildingBlocks;
using Chat.ClusterMembership;
using Chat.Realtime;
using Chat.SchemaMigrations;
using Chat.ServiceDefaults;
using Chat.Store;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("realtime");
builder.Services.AddStore(config, "chat-realtime");
builder.Services.AddClusterMembership();
builder.Services.AddSessionAuthentication();
builder.Services.AddBuildingBlocks(config);
builder.Services.AddRealtime(config);

var app = builder.Build();
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.UseServiceDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapBuildingBlocks();
app.MapRealtime();
app.Run();
