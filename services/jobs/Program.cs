using Chat.ServiceDefaults;
using Chat.Store;
using Chat.Store.Postgres;

var builder = WebApplication.CreateBuilder(args);
var config = builder.AddServiceDefaults("jobs");
builder.Services.AddChatStore(config, "chat-jobs");

var app = builder.Build();
await app.Services.MigrateDatabaseAsync();
app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.Run();
