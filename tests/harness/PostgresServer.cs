using System.Text.RegularExpressions;
using Npgsql;

namespace Chat.Testing;

/// <summary>
/// The PostgreSQL server of a test run: the one CHAT_TEST_DATABASE names (a connection string of a user who
/// may create databases), or else a private PostgreSQL started from a temporary directory with trust
/// authentication on a free loopback port. Databases are created on demand; dispose removes everything.
/// </summary>
public sealed partial class PostgresServer : IAsyncDisposable
{
    public const string ExternalServerVariable = "CHAT_TEST_DATABASE";
    private const string SuperUser = "chat";
    // initdb and postgres refuse to run as root.
    private const string ServiceAccount = "postgres";

    private readonly NpgsqlConnectionStringBuilder _server;
    private readonly PrivateCluster? _private;
    private readonly List<string> _databases = [];
    private readonly SemaphoreSlim _createLock = new(1, 1);

    private PostgresServer(NpgsqlConnectionStringBuilder server, PrivateCluster? privateCluster)
    {
        _server = server;
        _private = privateCluster;
    }

    /// <summary>True when the tests started this server themselves.</summary>
    public bool IsPrivate => _private is not null;

    public static async Task<PostgresServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(ExternalServerVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new PostgresServer(new NpgsqlConnectionStringBuilder(external), null);
        }
        var cluster = await PrivateCluster.StartAsync();
        var server = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = cluster.Port,
            Username = SuperUser,
            Database = "postgres",
        };
        return new PostgresServer(server, cluster);
    }

    /// <summary>
    /// Creates an empty database and returns its connection string. On a shared server the name gets a
    /// random suffix, so concurrent or earlier runs never collide.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException("Use 1 to 40 lowercase letters, digits or '_'.", nameof(name));
        }
        var actual = IsPrivate ? name : $"{name}_{Guid.NewGuid():N}"[..(name.Length + 9)];
        await _createLock.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{actual}\"", connection);
            await command.ExecuteNonQueryAsync();
            _databases.Add(actual);
        }
        finally
        {
            _createLock.Release();
        }
        return ConnectionString(actual);
    }

    /// <summary>A streaming replica of this server (private servers only: it needs the server's files and superuser).</summary>
    public Task<PostgresReplica> StartReplicaAsync() =>
        _private is { } cluster
            ? PostgresReplica.StartAsync(cluster.BinDirectory, cluster.Port, SuperUser, cluster.AsServiceAccount)
            : throw new InvalidOperationException($"Replicas need a private server; unset {ExternalServerVariable}.");

    /// <summary>Fast shutdown of a private server (failover drills); it is not started again.</summary>
    public Task StopAsync() =>
        _private?.StopAsync() ?? throw new InvalidOperationException("Only a private server can be stopped.");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = database }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_private is not null)
        {
            await _private.DisposeAsync();
            return;
        }
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync();
        foreach (var database in _databases)
        {
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private string AdminConnectionString() =>
        new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Pooling = false }.ConnectionString;

    [GeneratedRegex("^[a-z0-9_]{1,40}$")]
    private static partial Regex DatabaseName();

    /// <summary>A cluster of our own: data directory, socket directory and log in one temporary directory.</summary>
    private sealed class PrivateCluster : IAsyncDisposable
    {
        private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);

        private readonly string _binDirectory;
        private readonly string _directory;
        private readonly bool _asServiceAccount;
        private Watchdog? _watchdog;

        private PrivateCluster(string binDirectory, string directory, bool asServiceAccount)
        {
            _binDirectory = binDirectory;
            _directory = directory;
            _asServiceAccount = asServiceAccount;
        }

        public int Port { get; private set; }

        public string BinDirectory => _binDirectory;

        public bool AsServiceAccount => _asServiceAccount;

        public Task StopAsync() => RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "stop"]);

        private string DataDirectory => Path.Combine(_directory, "data");

        private string LogFile => Path.Combine(_directory, "postgres.log");

        public static async Task<PrivateCluster> StartAsync()
        {
            var bin = await FindBinDirectoryAsync();
            var directory = Directory.CreateTempSubdirectory("chat-pg-").FullName;
            var cluster = new PrivateCluster(bin, directory, Environment.IsPrivilegedProcess);
            try
            {
                if (cluster._asServiceAccount)
                {
                    await Command.RunAsync("chown", ["-R", $"{ServiceAccount}:{ServiceAccount}", directory], ToolTimeout);
                }
                await cluster.RunToolAsync("initdb", ["-D", cluster.DataDirectory, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"]);
                cluster._watchdog = Watchdog.Start(cluster.CleanupCommand());
                await cluster.StartServerAsync();
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        /// <summary>The free port can be taken between choosing and binding it; then another one is tried.</summary>
        private async Task StartServerAsync()
        {
            for (var attempt = 1; ; attempt++)
            {
                Port = FreePort.Next();
                var options = $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c max_connections=300";
                try
                {
                    await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"]);
                    return;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    // Most likely the port was taken meanwhile: try another.
                }
                catch (InvalidOperationException e)
                {
                    var log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile) : "";
                    throw new InvalidOperationException($"{e.Message}\n{log}", e);
                }
            }
        }

        private Task<string> RunToolAsync(string tool, IEnumerable<string> arguments, bool check = true)
        {
            var path = Path.Combine(_binDirectory, tool);
            return _asServiceAccount
                ? Command.RunAsync("runuser", ["-u", ServiceAccount, "--", path, .. arguments], ToolTimeout, check)
                : Command.RunAsync(path, arguments, ToolTimeout, check);
        }

        private static async Task<string> FindBinDirectoryAsync()
        {
            try
            {
                var bin = (await Command.RunAsync("pg_config", ["--bindir"], TimeSpan.FromSeconds(10))).Trim();
                if (File.Exists(Path.Combine(bin, "initdb")))
                {
                    return bin;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // No pg_config on the PATH: look where Debian puts the server.
            }
            var candidates = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(d => Path.Combine(d, "bin"))
                    .Where(d => File.Exists(Path.Combine(d, "initdb")))
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                    .ToList()
                : [];
            return candidates.FirstOrDefault()
                ?? throw new InvalidOperationException($"PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql/*/bin); install PostgreSQL or set {ExternalServerVariable}.");
        }

        /// <summary>What <see cref="DisposeAsync"/> does, as a shell command for the watchdog.</summary>
        private string CleanupCommand()
        {
            var stop = string.Join(' ', new[] { Path.Combine(_binDirectory, "pg_ctl"), "-D", DataDirectory, "-m", "immediate", "-w", "stop" }.Select(Watchdog.Quote));
            return $"{(_asServiceAccount ? $"runuser -u {ServiceAccount} -- " : "")}{stop}; rm -rf {Watchdog.Quote(_directory)}";
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
}
