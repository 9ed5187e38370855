using System.Text.Json;
using Chat.BuildingBlocks.PubSub;
using Chat.ClientEvents;
using Chat.SchemaMigrations;
using Chat.Store.Model;
using Dapper;
using Npgsql;

namespace Chat.Jobs.Core;

/// <summary>A worker's hold on a job: its node and attempt. Writes of a worker whose claim no longer stands change nothing.</summary>
public sealed record JobClaim(Job Job, string Worker, int Attempt);

/// <summary>
/// The jobs table. Every change of a job's status or progress records a job_updated event for each system admin
/// in the same transaction (the outbox), so admins see exactly the states that were committed.
/// </summary>
public sealed class JobStore(NpgsqlDataSource db, IEventBus bus)
{
    public const string Columns = """
        id AS Id, type AS Type, priority AS Priority, create_at AS CreateAt, start_at AS StartAt,
        last_activity_at AS LastActivityAt, status AS Status, progress AS Progress, data::text AS DataJson
        """;

    /// <summary>Database time, so every node stamps jobs by one clock.</summary>
    public const string DbNowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

    /// <summary>A job created through the API, pending.</summary>
    public async Task<Job> CreateAsync(string type, Dictionary<string, string> data, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<JobRow>(new CommandDefinition($"""
            INSERT INTO jobs (id, type, create_at, status, data) VALUES (@Id, @Type, {DbNowMs}, 'pending', @Data::jsonb)
            RETURNING {Columns}
            """, new { Id = Ids.New(), Type = type, Data = JsonSerializer.Serialize(data) }, tx, cancellationToken: cancellationToken));
        var job = row.ToJob();
        await NotifyAsync(tx, [job], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return job;
    }

    /// <summary>
    /// Scheduled jobs, one per slot, in the caller's transaction (the scheduler's fenced one). A slot that already
    /// has its job is skipped: returns only the jobs created now.
    /// </summary>
    public async Task<IReadOnlyList<Job>> CreateScheduledAsync(NpgsqlTransaction tx, string type, IReadOnlyList<long> slots, CancellationToken cancellationToken = default)
    {
        var rows = await tx.Connection!.QueryAsync<JobRow>(new CommandDefinition($"""
            INSERT INTO jobs (id, type, create_at, status, schedule_slot, data)
            SELECT s.id, @Type, {DbNowMs}, 'pending', s.slot, jsonb_build_object('schedule_slot', s.slot::text)
            FROM unnest(@Ids, @Slots) AS s(id, slot)
            ORDER BY s.slot
            ON CONFLICT (type, schedule_slot) WHERE schedule_slot IS NOT NULL DO NOTHING
            RETURNING {Columns}
            """, new { Type = type, Ids = slots.Select(_ => Ids.New()).ToArray(), Slots = slots.ToArray() }, tx, cancellationToken: cancellationToken));
        var jobs = rows.Select(r => r.ToJob()).ToList();
        await NotifyAsync(tx, jobs, cancellationToken);
        return jobs;
    }

    /// <summary>The latest slot that has a job of <paramref name="type"/>, or null.</summary>
    public async Task<long?> LastSlotAsync(NpgsqlTransaction tx, string type, CancellationToken cancellationToken = default) =>
        await tx.Connection!.QuerySingleAsync<long?>(new CommandDefinition(
            "SELECT max(schedule_slot) FROM jobs WHERE type = @type AND schedule_slot IS NOT NULL", new { type }, tx, cancellationToken: cancellationToken));

    /// <summary>When <paramref name="type"/> was first scheduled; records <paramref name="nowMs"/> if never.</summary>
    public async Task<long> ScheduledSinceAsync(NpgsqlTransaction tx, string type, long nowMs, CancellationToken cancellationToken = default)
    {
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO job_schedules (type, since_ms) VALUES (@type, @nowMs) ON CONFLICT (type) DO NOTHING", new { type, nowMs }, tx, cancellationToken: cancellationToken));
        return await tx.Connection!.QuerySingleAsync<long>(new CommandDefinition(
            "SELECT since_ms FROM job_schedules WHERE type = @type", new { type }, tx, cancellationToken: cancellationToken));
    }

    public async Task<Job?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(
            $"SELECT {Columns} FROM jobs WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToJob();
    }

    /// <summary>Newest first; optionally of one type and/or with one of some statuses.</summary>
    public async Task<IReadOnlyList<Job>> ListAsync(string? type, IReadOnlyList<string>? statuses, int page, int perPage, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(new CommandDefinition($"""
            SELECT {Columns} FROM jobs
            WHERE (@type::text IS NULL OR type = @type) AND (@statuses::text[] IS NULL OR status = ANY(@statuses))
            ORDER BY create_at DESC, id DESC LIMIT @perPage OFFSET @offset
            """, new { type, statuses = statuses?.ToArray(), perPage, offset = (long)page * perPage }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToJob())];
    }

    /// <summary>The most recent successful job of a type (an incremental export starts where it ended).</summary>
    public async Task<Job?> LastSuccessfulAsync(string type, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition($"""
            SELECT {Columns} FROM jobs WHERE type = @type AND status = 'success' ORDER BY last_activity_at DESC, id DESC LIMIT 1
            """, new { type }, cancellationToken: cancellationToken));
        return row?.ToJob();
    }

    /// <summary>
    /// A pending job is canceled at once; a running one is asked to stop (cancel_requested) and its worker cancels
    /// it. Null when the job is neither pending nor running.
    /// </summary>
    public Task<Job?> RequestCancelAsync(string id, CancellationToken cancellationToken = default) =>
        UpdateOneAsync($"""
            UPDATE jobs SET status = CASE WHEN status = 'pending' THEN 'canceled' ELSE 'cancel_requested' END, last_activity_at = {DbNowMs}
            WHERE id = @id AND status IN ('pending', 'in_progress')
            RETURNING {Columns}
            """, new { id }, cancellationToken);

    /// <summary>
    /// Claims the oldest pending job (highest priority first) of the given types whose type has no job running,
    /// so two jobs of one type never run at once. Null when there is none.
    /// </summary>
    public async Task<JobClaim?> ClaimAsync(IReadOnlyCollection<string> types, string worker, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Serialises claims cluster-wide (they are rare and short), so "one running job per type" holds.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@JobClaim)", new { AdvisoryLockKeys.JobClaim }, tx, cancellationToken: cancellationToken));
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition($"""
            UPDATE jobs SET status = 'in_progress', start_at = CASE WHEN start_at = 0 THEN {DbNowMs} ELSE start_at END,
                last_activity_at = {DbNowMs}, worker = @worker, attempts = attempts + 1
            WHERE id = (
                SELECT j.id FROM jobs j
                WHERE j.status = 'pending' AND j.type = ANY(@types)
                  AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.type = j.type AND r.status IN ('in_progress', 'cancel_requested'))
                ORDER BY j.priority DESC, j.create_at, j.id
                LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING {Columns}, attempts AS Attempts
            """, new { types = types.ToArray(), worker }, tx, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }
        var job = row.ToJob();
        await NotifyAsync(tx, [job], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new JobClaim(job, worker, row.Attempts);
    }

    /// <summary>
    /// Records activity (and progress and data) of a running job; tells admins when <paramref name="notify"/>.
    /// Returns the job's status (cancel_requested asks the worker to stop), or null if the claim was lost.
    /// </summary>
    public async Task<string?> ReportAsync(JobClaim claim, long progress, Dictionary<string, string> data, bool notify, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition($"""
            UPDATE jobs SET last_activity_at = {DbNowMs}, progress = @progress, data = @data::jsonb
            WHERE id = @Id AND worker = @Worker AND attempts = @Attempt AND status IN ('in_progress', 'cancel_requested')
            RETURNING {Columns}
            """, new { claim.Job.Id, claim.Worker, claim.Attempt, progress, data = JsonSerializer.Serialize(data) }, tx, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }
        if (notify)
        {
            await NotifyAsync(tx, [row.ToJob()], cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return row.Status;
    }

    /// <summary>Ends a running job with <paramref name="status"/>; null if the claim was lost meanwhile.</summary>
    public async Task<Job?> FinishAsync(JobClaim claim, string status, long progress, Dictionary<string, string> data, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition($"""
            UPDATE jobs SET status = @status, progress = @progress, data = @data::jsonb, last_activity_at = {DbNowMs}
            WHERE id = @Id AND worker = @Worker AND attempts = @Attempt AND status IN ('in_progress', 'cancel_requested')
            RETURNING {Columns}
            """, new { claim.Job.Id, claim.Worker, claim.Attempt, status, progress, data = JsonSerializer.Serialize(data) }, tx, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }
        var job = row.ToJob();
        await NotifyAsync(tx, [job], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return job;
    }

    /// <summary>Back to pending, keeping its data (checkpoint) and progress, for another worker; a pending cancel completes.</summary>
    public Task<Job?> ReleaseAsync(JobClaim claim, CancellationToken cancellationToken = default) =>
        UpdateOneAsync($"""
            UPDATE jobs SET status = CASE WHEN status = 'cancel_requested' THEN 'canceled' ELSE 'pending' END, worker = '', last_activity_at = {DbNowMs}
            WHERE id = @Id AND worker = @Worker AND attempts = @Attempt AND status IN ('in_progress', 'cancel_requested')
            RETURNING {Columns}
            """, new { claim.Job.Id, claim.Worker, claim.Attempt }, cancellationToken);

    /// <summary>
    /// Running jobs silent for longer than <paramref name="staleAfter"/> lost their worker (killed, or cut off):
    /// they go back to pending to be resumed by any worker, or to error after <paramref name="maxAttempts"/>; a
    /// stale job that was asked to cancel is canceled. One statement, so any node may run it at any time.
    /// </summary>
    public async Task<IReadOnlyList<Job>> RecoverStaleAsync(TimeSpan staleAfter, int maxAttempts, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(new CommandDefinition($"""
            UPDATE jobs SET
                status = CASE WHEN status = 'cancel_requested' THEN 'canceled' WHEN attempts >= @maxAttempts THEN 'error' ELSE 'pending' END,
                data = CASE WHEN status = 'in_progress' AND attempts >= @maxAttempts
                            THEN data || jsonb_build_object('error', 'The job''s worker stopped responding ' || attempts || ' times.')
                            ELSE data END,
                worker = '', last_activity_at = {DbNowMs}
            WHERE status IN ('in_progress', 'cancel_requested') AND last_activity_at < {DbNowMs} - @staleMs
            RETURNING {Columns}
            """, new { maxAttempts, staleMs = (long)staleAfter.TotalMilliseconds }, tx, cancellationToken: cancellationToken));
        var jobs = rows.Select(r => r.ToJob()).ToList();
        await NotifyAsync(tx, jobs, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return jobs;
    }

    private async Task<Job?> UpdateOneAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(sql, parameters, tx, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }
        var job = row.ToJob();
        await NotifyAsync(tx, [job], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return job;
    }

    /// <summary>job_updated for every system admin, in the change's transaction.</summary>
    private async Task NotifyAsync(NpgsqlTransaction tx, IReadOnlyList<Job> jobs, CancellationToken cancellationToken)
    {
        if (jobs.Count == 0)
        {
            return;
        }
        var admins = (await tx.Connection!.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM users WHERE delete_at = 0 AND ' ' || roles || ' ' LIKE '% system_admin %'", transaction: tx, cancellationToken: cancellationToken))).AsList();
        if (admins.Count > 0)
        {
            await bus.PublishAsync(tx, [.. jobs.SelectMany(job => admins.Select(admin => WebSocketEvents.JobUpdated.Create(job, admin)))], cancellationToken);
        }
    }

    private sealed record JobRow
    {
        public required string Id { get; init; }
        public required string Type { get; init; }
        public long Priority { get; init; }
        public long CreateAt { get; init; }
        public long StartAt { get; init; }
        public long LastActivityAt { get; init; }
        public required string Status { get; init; }
        public long Progress { get; init; }
        public string DataJson { get; init; } = "{}";
        public int Attempts { get; init; }

        public Job ToJob() => new()
        {
            Id = Id,
            Type = Type,
            Priority = Priority,
            CreateAt = CreateAt,
            StartAt = StartAt,
            LastActivityAt = LastActivityAt,
            Status = Status,
            Progress = Progress,
            Data = JsonSerializer.Deserialize<Dictionary<string, string>>(DataJson) ?? [],
        };
    }
}
