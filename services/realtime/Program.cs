using Chat.Authentication;
using Chat.BuildingBlocks;
using Chat.Realtime;
using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("realtime");
builder.Services.AddChatStore(config, "chat-realtime");
builder.Services.AddSessionAuthentication();
builder.Services.AddBuildingBlocks(config);
builder.Services.AddRealtime(config);

var app = builder.Build();
await app.Services.MigrateDatabaseAsync();
await app.Services.MigrateBuildingBlocksAsync();
await app.Services.MigrateRealtimeAsync();
app.UseServiceDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapBuildingBlocks();
app.MapRealtime();
app.Run();
