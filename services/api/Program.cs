using Chat.Api;
using Chat.ClusterMembership;
using Chat.SchemaMigrations;

var app = ApiHost.Build(args);
var schemaVersion = await app.Services.MigrateDatabaseAsync();
await app.Services.JoinClusterAsync(schemaVersion);
app.UseApi();
app.Run();
