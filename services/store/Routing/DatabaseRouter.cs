using Chat.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Store.Routing;

/// <summary>Where a read may run: any replica, or the search replicas (else the replicas, else the primary).</summary>
public enum ReadTarget
{
    Replica,
    Search,
}

/// <summary>
/// Sends reads that tolerate replication lag to SqlSettings.DataSourceReplicas (search to DataSourceSearchReplicas),
/// round robin, and everything else to the primary. A replica that fails is taken out at once and the read runs on
/// the next candidate (reads are safe to repeat), so a replica going away costs no request; it is probed every
/// second until it answers again. With no replica left, reads go to the primary. Writes never come through here:
/// they use the primary pool (<see cref="Primary"/>) directly.
/// </summary>
public sealed partial class DatabaseRouter : IAsyncDisposable
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetiredPoolGrace = TimeSpan.FromSeconds(30);

    private readonly LiveConfig config;
    private readonly string applicationName;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private readonly Task probing;
    private Pools pools;
    private long primaryReads;
    private int next;

    public DatabaseRouter(NpgsqlDataSource primary, LiveConfig config, string applicationName, ILogger<DatabaseRouter> logger)
    {
        Primary = primary;
        this.config = config;
        this.applicationName = applicationName;
        this.logger = logger;
        pools = Build(config.Current.SqlSettings);
        config.AddRestartCheck(PrimaryChangeNeedsRestart);
        config.Changed += OnConfigChanged;
        probing = Task.Run(ProbeLoopAsync);
    }

    /// <summary>The pool of the server that accepts writes (it follows a promotion among the configured servers).</summary>
    public NpgsqlDataSource Primary { get; }

    /// <summary>
    /// Runs <paramref name="query"/> on a replica of <paramref name="target"/> unless the current request must read
    /// its own writes (<see cref="ReadRouting"/>); on the primary when no replica is configured or reachable.
    /// </summary>
    public async Task<T> ReadAsync<T>(ReadTarget target, Func<NpgsqlConnection, Task<T>> query, CancellationToken cancellationToken = default)
    {
        if (!ReadRouting.PrimaryOnly)
        {
            var candidates = Candidates(target);
            var start = candidates.Length == 0 ? 0 : (int)((uint)Interlocked.Increment(ref next) % (uint)candidates.Length);
            for (var i = 0; i < candidates.Length; i++)
            {
                var pool = candidates[(start + i) % candidates.Length];
                if (!pool.Up)
                {
                    continue;
                }
                try
                {
                    await using var connection = await pool.Source.OpenConnectionAsync(cancellationToken);
                    var result = await query(connection);
                    Interlocked.Increment(ref pool.Reads);
                    return result;
                }
                catch (Exception e) when (IsServerUnavailable(e) && !cancellationToken.IsCancellationRequested)
                {
                    TakeOut(pool, e);
                }
            }
        }
        await using var primaryConnection = await Primary.OpenConnectionAsync(cancellationToken);
        var primaryResult = await query(primaryConnection);
        Interlocked.Increment(ref primaryReads);
        return primaryResult;
    }

    /// <summary>Drops every idle connection and rebuilds the replica pools (POST /api/v4/database/recycle).</summary>
    public void Recycle()
    {
        Primary.Clear();
        Replace(Build(config.Current.SqlSettings));
        LogRecycled(logger);
    }

    /// <summary>What each pool is, whether it is in use, and how many reads it served (admin status, tests, figures).</summary>
    public DatabaseRoutingStatus Status()
    {
        var current = Volatile.Read(ref pools);
        return new DatabaseRoutingStatus(
            new PoolStatus("primary", "primary", Describe(Primary.ConnectionString), true, null, Interlocked.Read(ref primaryReads), 0),
            [.. current.Replicas.Select(p => p.ToStatus()), .. current.SearchReplicas.Select(p => p.ToStatus())]);
    }

    public async ValueTask DisposeAsync()
    {
        config.Changed -= OnConfigChanged;
        await stopping.CancelAsync();
        await probing;
        var current = Volatile.Read(ref pools);
        foreach (var pool in current.Replicas.Concat(current.SearchReplicas))
        {
            await pool.Source.DisposeAsync();
        }
    }

    /// <summary>
    /// Connection-level failures, a server shutting down or refusing connections, and a standby cancelling the query
    /// because of a replication conflict: the read would succeed elsewhere. SQL errors are not retried.
    /// </summary>
    public static bool IsServerUnavailable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || pg.SqlState == PostgresErrorCodes.SerializationFailure,
        // "No suitable host": none of the primary pool's servers accepts writes right now (down, or still a standby).
        NpgsqlException npgsql => npgsql.IsTransient
            || npgsql.Message.StartsWith("No suitable host", StringComparison.Ordinal)
            || (npgsql.InnerException is { } inner && IsServerUnavailable(inner)),
        AggregateException all => all.InnerExceptions.Any(IsServerUnavailable),
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>
    /// The primary pool was built over the configured primary and the replicas (the candidates for promotion), so
    /// pointing DataSource at one of them takes effect live; any other server needs a restart.
    /// </summary>
    private IEnumerable<string> PrimaryChangeNeedsRestart(ChatConfig next)
    {
        var known = Endpoints(Primary.ConnectionString).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!Endpoints(next.SqlSettings.DataSource).All(known.Contains))
        {
            yield return "SqlSettings.DataSource";
        }
    }

    private void OnConfigChanged(ConfigChange change)
    {
        if (!change.Applied.Any(s => s.StartsWith("SqlSettings.", StringComparison.Ordinal)))
        {
            return;
        }
        if (change.Applied.Contains("SqlSettings.DataSource"))
        {
            // New connections pick the server that accepts writes again; idle ones may still point at the old primary.
            Primary.Clear();
        }
        Replace(Build(config.Current.SqlSettings));
    }

    private ReplicaPool[] Candidates(ReadTarget target)
    {
        var current = Volatile.Read(ref pools);
        if (target == ReadTarget.Search && current.SearchReplicas.Any(p => p.Up))
        {
            return current.SearchReplicas;
        }
        return current.Replicas;
    }

    private void TakeOut(ReplicaPool pool, Exception e)
    {
        if (pool.Up)
        {
            pool.Up = false;
            pool.DownSince = DateTimeOffset.UtcNow;
            Interlocked.Increment(ref pool.Failures);
            LogReplicaDown(logger, pool.Name, pool.Endpoint, e.Message);
        }
        // Its idle connections are most likely broken too.
        pool.Source.Clear();
    }

    private async Task ProbeLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var current = Volatile.Read(ref pools);
            foreach (var pool in current.Replicas.Concat(current.SearchReplicas).Where(p => !p.Up))
            {
                try
                {
                    await using var command = pool.Source.CreateCommand("SELECT 1");
                    command.CommandTimeout = 2;
                    await command.ExecuteScalarAsync(stopping.Token);
                    pool.Up = true;
                    pool.DownSince = null;
                    LogReplicaBack(logger, pool.Name, pool.Endpoint);
                }
                catch (Exception e) when (IsServerUnavailable(e) || e is NpgsqlException)
                {
                    // Still away; try again next round.
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private Pools Build(SqlSettings sql) => new(
        [.. sql.DataSourceReplicas.Select((cs, i) => ReplicaPool.Create($"replica-{i + 1}", "replica", cs, sql, applicationName))],
        [.. sql.DataSourceSearchReplicas.Select((cs, i) => ReplicaPool.Create($"search-replica-{i + 1}", "search", cs, sql, applicationName))]);

    private void Replace(Pools replacement)
    {
        Pools old;
        lock (gate)
        {
            old = pools;
            pools = replacement;
        }
        // Reads that already hold a connection of the old pools finish on it; the pools close once they are done.
        _ = Task.Delay(RetiredPoolGrace).ContinueWith(async _ =>
        {
            foreach (var pool in old.Replicas.Concat(old.SearchReplicas))
            {
                await pool.Source.DisposeAsync();
            }
        }, TaskScheduler.Default);
    }

    /// <summary>host:port of every server a connection string names.</summary>
    internal static IEnumerable<string> Endpoints(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        foreach (var host in (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? host : $"{host}:{builder.Port}";
        }
    }

    private static string Describe(string connectionString) => string.Join(",", Endpoints(connectionString));

    [LoggerMessage(LogLevel.Warning, "Database {Pool} ({Endpoint}) is unavailable, reads go elsewhere until it answers again: {Reason}")]
    private static partial void LogReplicaDown(ILogger logger, string pool, string endpoint, string reason);

    [LoggerMessage(LogLevel.Information, "Database {Pool} ({Endpoint}) answers again; reads resume on it")]
    private static partial void LogReplicaBack(ILogger logger, string pool, string endpoint);

    [LoggerMessage(LogLevel.Information, "Database connection pools recycled")]
    private static partial void LogRecycled(ILogger logger);

    private sealed record Pools(ReplicaPool[] Replicas, ReplicaPool[] SearchReplicas);

    private sealed class ReplicaPool(string name, string role, NpgsqlDataSource source)
    {
        public long Reads;
        public long Failures;

        public string Name { get; } = name;
        public string Role { get; } = role;
        public NpgsqlDataSource Source { get; } = source;
        public string Endpoint { get; } = Describe(source.ConnectionString);
        public volatile bool Up = true;
        public DateTimeOffset? DownSince { get; set; }

        public static ReplicaPool Create(string name, string role, string connectionString, SqlSettings sql, string applicationName)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString)
            {
                MaxPoolSize = sql.MaxOpenConns,
                // No connections kept open by force: a replica that is away must not be dialled in the background.
                MinPoolSize = 0,
                CommandTimeout = sql.QueryTimeout,
                ApplicationName = applicationName,
                MaxAutoPrepare = 64,
                AutoPrepareMinUsages = 2,
                NoResetOnClose = true,
            };
            // A replica that does not answer is skipped within 2 s rather than after the default 15 s connect timeout.
            if (builder.Timeout is 0 or > 2)
            {
                builder.Timeout = 2;
            }
            return new ReplicaPool(name, role, new NpgsqlDataSourceBuilder(builder.ConnectionString).Build());
        }

        public PoolStatus ToStatus() => new(Name, Role, Endpoint, Up, DownSince, Interlocked.Read(ref Reads), Interlocked.Read(ref Failures));
    }
}

public sealed record DatabaseRoutingStatus(PoolStatus Primary, IReadOnlyList<PoolStatus> Replicas);

/// <param name="Endpoint">host:port as configured (no credentials).</param>
/// <param name="Reads">Reads routed here since start (or since the pool was rebuilt).</param>
public sealed record PoolStatus(string Name, string Role, string Endpoint, bool Up, DateTimeOffset? DownSince, long Reads, long Failures);
