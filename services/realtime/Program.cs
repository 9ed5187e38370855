using Chat.Authentication;
using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("realtime");
builder.Services.AddChatStore(config, "chat-realtime");
builder.Services.AddSessionAuthentication();

var app = builder.Build();
await app.Services.MigrateDatabaseAsync();
app.UseServiceDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.Run();
