using System.CommandLine;
using Chat.ClusterTool;

// What deploy/local/cluster says to the product: its HTTP API through the edge, and SQL on the primary for the one
// grant the API cannot make. A failure prints "error: ..." as the launcher's own do, and exits with 1.
var url = new Option<Uri>("--url")
{
    Description = "The cluster's edge, e.g. http://127.0.0.1:8065",
    Required = true,
    CustomParser = result =>
    {
        if (Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var uri))
        {
            return uri;
        }
        result.AddError($"--url {result.Tokens[0].Value} is not an absolute URL");
        return null;
    },
};
var database = new Option<string>("--database")
{
    Description = "Npgsql connection string of the primary as a superuser (for the system_admin grant)",
    Required = true,
};
var admin = new Option<string>("--admin") { Description = "The launcher's system admin", DefaultValueFactory = _ => "cluster-admin" };
var credentials = new Option<FileInfo>("--credentials") { Description = "Its password (ADMIN_PASSWORD=...), created when missing", Required = true };
var installed = new Option<DirectoryInfo>("--installed")
{
    Description = "Where <plugin id>.installed records the contents of the bundle last uploaded",
    Required = true,
};
var apiNodes = new Option<int>("--api-nodes") { Description = "How many api nodes must run each plugin", Required = true };
var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for them", DefaultValueFactory = _ => 60 };
var bundles = new Argument<FileInfo[]>("bundle") { Description = "Plugin bundles (.tar.gz)", Arity = ArgumentArity.OneOrMore };

var installPlugins = new Command("install-plugins",
    "Signs in as the launcher's system admin (signed up, and granted system_admin, when needed), uploads each bundle whose " +
    "contents changed, enables it and waits until every api node runs it.")
{
    url, database, admin, credentials, installed, apiNodes, timeout, bundles,
};
installPlugins.SetAction((parse, cancel) => Output.ReportFailuresAsync(async () =>
{
    using var http = ChatClient.CreateHttpClient(parse.GetRequiredValue(url));
    var account = new AdminAccount(parse.GetRequiredValue(admin), parse.GetRequiredValue(credentials));
    var client = await account.SignInAsync(http, parse.GetRequiredValue(database), cancel);
    var installer = new PluginInstaller(client, parse.GetRequiredValue(installed), parse.GetValue(apiNodes), TimeSpan.FromSeconds(parse.GetValue(timeout)));
    foreach (var bundle in parse.GetRequiredValue(bundles))
    {
        await installer.InstallAsync(bundle, cancel);
    }
}));

var ensureAdmin = new Command("ensure-admin",
    "Signs in as the launcher's system admin, signing it up and granting system_admin when needed. The launcher runs it against " +
    "an api node before the edge accepts traffic, so on a fresh system nobody else can be the first user (who becomes admin).")
{
    url, database, admin, credentials,
};
ensureAdmin.SetAction((parse, cancel) => Output.ReportFailuresAsync(async () =>
{
    using var http = ChatClient.CreateHttpClient(parse.GetRequiredValue(url));
    await new AdminAccount(parse.GetRequiredValue(admin), parse.GetRequiredValue(credentials)).SignInAsync(http, parse.GetRequiredValue(database), cancel);
}));

return await new RootCommand("The local cluster launcher's API and database conversations (deploy/local/cluster).") { ensureAdmin, installPlugins }
    .Parse(args).InvokeAsync();
