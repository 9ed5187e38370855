using Chat.Load;
using Chat.Load.Scenarios;

// A benchmark, not a test: it drives a running cluster and prints figures.
var scenarios = new Dictionary<string, Func<LoadOptions, Task<int>>>
{
    ["posts"] = PostsScenario.RunAsync,
    ["fanout"] = FanoutScenario.RunAsync,
    ["reads"] = ReadsScenario.RunAsync,
    ["files"] = FilesScenario.RunAsync,
};

if (args.Length == 0 || !scenarios.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Chat.Load <{string.Join("|", scenarios.Keys)}> {LoadOptions.Usage}");
    return 2;
}
if (!LoadOptions.TryParse(args.AsSpan(1), out var options, out var error))
{
    Console.Error.WriteLine($"{error}\nusage: Chat.Load {args[0]} {LoadOptions.Usage}");
    return 2;
}
try
{
    return await run(options);
}
catch (Exception e) when (e is HttpRequestException or InvalidOperationException or Npgsql.NpgsqlException or TaskCanceledException)
{
    // Setup against a cluster that is down or refusing us: say what failed, without a stack trace.
    Console.Error.WriteLine($"{args[0]}: {e.Message}");
    return 1;
}
