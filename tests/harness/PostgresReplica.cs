namespace Chat.Testing;

/// <summary>
/// A hot standby of a private <see cref="PostgresServer"/>, cloned with pg_basebackup -R (streaming replication) into
/// its own temporary directory and port. It can be stopped, started again on the same port, and promoted.
/// </summary>
public sealed class PostgresReplica : IAsyncDisposable
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);

    private readonly string _binDirectory;
    private readonly string _directory;
    private readonly bool _asServiceAccount;
    private Watchdog? _watchdog;

    private PostgresReplica(string binDirectory, string directory, bool asServiceAccount, int port)
    {
        _binDirectory = binDirectory;
        _directory = directory;
        _asServiceAccount = asServiceAccount;
        Port = port;
    }

    public int Port { get; }

    private string DataDirectory => Path.Combine(_directory, "data");

    private string LogFile => Path.Combine(_directory, "postgres.log");

    internal static async Task<PostgresReplica> StartAsync(string binDirectory, int primaryPort, string superUser, bool asServiceAccount)
    {
        var directory = Directory.CreateTempSubdirectory("chat-pg-replica-").FullName;
        var replica = new PostgresReplica(binDirectory, directory, asServiceAccount, FreePort.Next());
        try
        {
            if (asServiceAccount)
            {
                await Command.RunAsync("chown", ["-R", "postgres:postgres", directory], ToolTimeout);
            }
            await replica.RunToolAsync("pg_basebackup", ["-h", "127.0.0.1", "-p", primaryPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", superUser, "-D", replica.DataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync"]);
            replica._watchdog = Watchdog.Start(replica.CleanupCommand());
            await replica.StartServerAsync();
            return replica;
        }
        catch
        {
            await replica.DisposeAsync();
            throw;
        }
    }

    public string ConnectionString(string database, string username) =>
        new Npgsql.NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Database = database, Username = username }.ConnectionString;

    public Task StartServerAsync()
    {
        var options = $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c max_connections=300 -c hot_standby_feedback=on";
        return RunToolAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"]);
    }

    /// <summary>Fast shutdown: open connections are terminated, as when the replica's host is taken down.</summary>
    public Task StopAsync() => RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "stop"]);

    /// <summary>Ends recovery: the replica becomes a primary that accepts writes.</summary>
    public Task PromoteAsync() => RunToolAsync("pg_ctl", ["-D", DataDirectory, "-w", "promote"]);

    private Task<string> RunToolAsync(string tool, IEnumerable<string> arguments, bool check = true)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _asServiceAccount
            ? Command.RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], ToolTimeout, check)
            : Command.RunAsync(path, arguments, ToolTimeout, check);
    }

    private string CleanupCommand()
    {
        var stop = string.Join(' ', new[] { Path.Combine(_binDirectory, "pg_ctl"), "-D", DataDirectory, "-m", "immediate", "-w", "stop" }.Select(Watchdog.Quote));
        return $"{(_asServiceAccount ? "runuser -u postgres -- " : "")}{stop}; rm -rf {Watchdog.Quote(_directory)}";
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], check: false);
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying server; the temporary directory is cleaned eventually anyway.
        }
        _watchdog?.Dispose();
    }
}
