using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Chat.BuildingBlocks.Reminders.Embedded;

/// <summary>
/// Reminders in the table actor_reminders. Every node polls for due reminders of the actor types it handles and
/// claims them in one short transaction (FOR UPDATE SKIP LOCKED, so two nodes never claim the same firing): the
/// claim moves due_at to the end of a lease and stamps a claim id. The handler runs outside any transaction (an
/// open writing transaction would hold back every event-log reader). Afterwards the node advances the reminder to
/// its next period (or deletes a one-shot one) if its claim still stands; if the handler threw, it makes the
/// firing due again after <see cref="ReminderOptions.RetryDelay"/>. A node that dies or stalls past the lease loses
/// the firing to whichever node polls next: at least once. Times are the database's.
/// </summary>
public sealed partial class EmbeddedActorReminders(NpgsqlDataSource dataSource, BuildingBlocksOptions options, ILogger<EmbeddedActorReminders> logger)
    : BackgroundService, IActorReminders
{
    private readonly ReminderHandlers handlers = new();
    private readonly ReminderOptions settings = options.Reminders;
    private volatile bool stoppingRequested;

    public async Task RegisterAsync(string actorType, string actorId, string name, TimeSpan dueTime, TimeSpan? period = null, JsonElement? data = null, CancellationToken cancellationToken = default)
    {
        ReminderArguments.Validate(actorType, actorId, name);
        ReminderArguments.ValidateTimes(dueTime, period);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO actor_reminders (actor_type, actor_id, name, scheduled_at, due_at, period, data)
            VALUES ($1, $2, $3, now() + $4, now() + $4, $5, $6)
            ON CONFLICT (actor_type, actor_id, name) DO UPDATE SET scheduled_at = excluded.scheduled_at,
                due_at = excluded.due_at, period = excluded.period, data = excluded.data, claim = NULL, attempts = 0
            """);
        AddKey(command, actorType, actorId, name);
        command.Parameters.Add(new NpgsqlParameter { Value = dueTime, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter { Value = period is { } p ? p : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter { Value = data is { } d ? d.GetRawText() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UnregisterAsync(string actorType, string actorId, string name, CancellationToken cancellationToken = default)
    {
        ReminderArguments.Validate(actorType, actorId, name);
        await using var command = dataSource.CreateCommand("DELETE FROM actor_reminders WHERE actor_type = $1 AND actor_id = $2 AND name = $3");
        AddKey(command, actorType, actorId, name);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public IDisposable Handle(string actorType, ActorReminderHandler handler) => handlers.Add(actorType, handler);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(settings.PollInterval);
            do
            {
                try
                {
                    // A full batch suggests more are due: claim again at once.
                    while (await PollAsync(stoppingToken) == settings.BatchSize)
                    {
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
                {
                    LogPollFailed(e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Claims the due firings of the handled types and runs them; returns how many it claimed.</summary>
    internal async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        var types = handlers.Types.ToArray();
        if (types.Length == 0)
        {
            return 0;
        }
        var firings = await ClaimAsync(types, cancellationToken);
        await Task.WhenAll(firings.Select(f => FireAsync(f, cancellationToken)));
        return firings.Count;
    }

    private async Task<List<Firing>> ClaimAsync(string[] types, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH due AS (
                SELECT actor_type, actor_id, name FROM actor_reminders
                WHERE actor_type = ANY($1) AND due_at <= now()
                ORDER BY due_at LIMIT $2
                FOR UPDATE SKIP LOCKED)
            UPDATE actor_reminders r SET due_at = now() + $3, claim = gen_random_uuid(), attempts = r.attempts + 1
            FROM due WHERE r.actor_type = due.actor_type AND r.actor_id = due.actor_id AND r.name = due.name
            RETURNING r.actor_type, r.actor_id, r.name, r.data::text, r.claim
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.BatchSize });
        command.Parameters.Add(new NpgsqlParameter { Value = settings.Lease, NpgsqlDbType = NpgsqlDbType.Interval });
        var firings = new List<Firing>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            firings.Add(new Firing(
                reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : JsonSerializer.Deserialize<JsonElement>(reader.GetString(3)),
                reader.GetGuid(4)));
        }
        return firings;
    }

    private async Task FireAsync(Firing firing, CancellationToken cancellationToken)
    {
        bool handled;
        try
        {
            var handler = handlers.For(firing.ActorType) ?? throw new InvalidOperationException("the handler was removed");
            await handler(firing.ActorId, firing.Name, firing.Data, cancellationToken);
            handled = true;
        }
        catch (Exception e)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                LogHandlerFailed(e, firing.ActorType, firing.ActorId, firing.Name);
            }
            handled = false;
        }
        try
        {
            await CompleteAsync(firing, handled, CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The claim stands until its lease ends; the firing then runs again elsewhere.
            LogCompleteFailed(firing.ActorType, firing.ActorId, firing.Name, e.Message);
        }
    }

    /// <summary>
    /// Handled: the next scheduled time is the first multiple of the period after now (missed periods are skipped,
    /// not replayed), a one-shot reminder is deleted. Not handled (threw, or this node is stopping): due again after
    /// the retry delay (at once when stopping, for another node). Nothing changes if the claim no longer stands.
    /// </summary>
    private async Task CompleteAsync(Firing firing, bool handled, CancellationToken cancellationToken)
    {
        var sql = handled
            ? """
              WITH finished AS (
                  DELETE FROM actor_reminders WHERE actor_type = $1 AND actor_id = $2 AND name = $3 AND claim = $4 AND period IS NULL)
              UPDATE actor_reminders SET claim = NULL, attempts = 0,
                  scheduled_at = scheduled_at + period * (floor(extract(epoch FROM now() - scheduled_at) / extract(epoch FROM period)) + 1),
                  due_at = scheduled_at + period * (floor(extract(epoch FROM now() - scheduled_at) / extract(epoch FROM period)) + 1)
              WHERE actor_type = $1 AND actor_id = $2 AND name = $3 AND claim = $4 AND period IS NOT NULL
              """
            : "UPDATE actor_reminders SET claim = NULL, due_at = now() + $5 WHERE actor_type = $1 AND actor_id = $2 AND name = $3 AND claim = $4";
        await using var command = dataSource.CreateCommand(sql);
        AddKey(command, firing.ActorType, firing.ActorId, firing.Name);
        command.Parameters.Add(new NpgsqlParameter { Value = firing.Claim, NpgsqlDbType = NpgsqlDbType.Uuid });
        if (!handled)
        {
            var delay = stoppingRequested ? TimeSpan.Zero : settings.RetryDelay;
            command.Parameters.Add(new NpgsqlParameter { Value = delay, NpgsqlDbType = NpgsqlDbType.Interval });
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        stoppingRequested = true;
        return base.StopAsync(cancellationToken);
    }

    private static void AddKey(NpgsqlCommand command, string actorType, string actorId, string name)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = actorType, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = actorId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = name, NpgsqlDbType = NpgsqlDbType.Text });
    }

    private sealed record Firing(string ActorType, string ActorId, string Name, JsonElement? Data, Guid Claim);

    [LoggerMessage(LogLevel.Warning, "Reminder {ActorType}/{ActorId}/{Name} failed; it fires again")]
    private partial void LogHandlerFailed(Exception e, string actorType, string actorId, string name);

    [LoggerMessage(LogLevel.Warning, "Could not record the firing of reminder {ActorType}/{ActorId}/{Name} ({Reason}); it fires again when its lease ends")]
    private partial void LogCompleteFailed(string actorType, string actorId, string name, string reason);

    [LoggerMessage(LogLevel.Warning, "Polling for due reminders failed ({Reason}); will retry")]
    private partial void LogPollFailed(string reason);
}
