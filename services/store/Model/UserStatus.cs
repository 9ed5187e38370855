using System.Text.Json.Serialization;

namespace Chat.Store.Model;

/// <summary>
/// Mattermost's Status of a user and the rules that change it (its platform/status.go), as pure functions of the
/// stored row and the database's clock. A status the user chose (<see cref="Manual"/>) is never overridden by what
/// the server observes: activity, a last socket closing, idleness.
/// </summary>
public sealed record UserStatus
{
    public const string Online = "online";
    public const string Away = "away";
    public const string Offline = "offline";
    public const string Dnd = "dnd";

    public required string UserId { get; init; }
    public string Status { get; init; } = Offline;
    /// <summary>Chosen by the user (away, offline, dnd); online is never manual.</summary>
    public bool Manual { get; init; }
    /// <summary>Milliseconds since the epoch.</summary>
    public long LastActivityAt { get; init; }
    /// <summary>Unix seconds at which a timed DND ends; 0 when not timed.</summary>
    public long DndEndTime { get; init; }
    /// <summary>What a timed DND returns to.</summary>
    [JsonIgnore]
    public string PrevStatus { get; init; } = "";

    /// <summary>What a user who never connected, or is unknown, shows.</summary>
    public static UserStatus Unknown(string userId) => new() { UserId = userId };

    public static bool IsValidStatus(string? status) => status is Online or Away or Offline or Dnd;

    /// <summary>
    /// The longest a node may wait before writing a user's activity: well inside the away timeout, so a user who
    /// keeps acting is never turned away, and at most 30 s, so <see cref="LastActivityAt"/> stays close.
    /// </summary>
    public static TimeSpan ActivityWriteInterval(int awayTimeoutSeconds) => TimeSpan.FromSeconds(Math.Min(30, awayTimeoutSeconds / 2.0));

    /// <summary>Activity (a socket opened, a client message, a post): online, unless the user chose a status.</summary>
    public UserStatus Active(long now) => Manual
        ? this with { LastActivityAt = now }
        : this with { Status = Online, LastActivityAt = now };

    /// <summary>The user's last socket closed (or its node died): offline, unless the user chose a status.</summary>
    public UserStatus Disconnected(long now) => Manual || Status == Offline ? this : this with { Status = Offline, LastActivityAt = now };

    /// <summary>Online without activity for the away timeout: away, unless the user chose a status.</summary>
    public UserStatus Idle(long now, long awayTimeoutMs) =>
        !Manual && Status == Online && LastActivityAt <= now - awayTimeoutMs ? this with { Status = Away } : this;

    /// <summary>
    /// A timed DND that has ended returns to the status before it, no longer manual (Mattermost's
    /// UpdateExpiredDNDStatuses); a user with no socket left returns offline, not online or away.
    /// </summary>
    public UserStatus DndEnded(long now, bool connected)
    {
        if (Status != Dnd || DndEndTime <= 0 || DndEndTime > now / 1000)
        {
            return this;
        }
        var back = PrevStatus is Online or Away or Offline ? PrevStatus : Online;
        return this with { Status = connected ? back : Offline, Manual = false, DndEndTime = 0, PrevStatus = Dnd };
    }

    /// <summary>
    /// The status the user set (PUT /users/{id}/status): online clears <see cref="Manual"/>; away, offline and dnd
    /// set it. A dnd with an end time (unix seconds) in the future is timed: the end is kept to the minute, and the
    /// current status is what it returns to.
    /// </summary>
    /// <param name="status">One of the four; checked by the caller with <see cref="IsValidStatus"/>.</param>
    public UserStatus Chosen(string status, long dndEndTime, long now) => status switch
    {
        Online => this with { Status = Online, Manual = false, LastActivityAt = now, DndEndTime = 0 },
        Away => this with { Status = Away, Manual = true, DndEndTime = 0 },
        Offline => this with { Status = Offline, Manual = true, LastActivityAt = now, DndEndTime = 0 },
        Dnd when dndEndTime > now / 1000 => this with
        {
            Status = Dnd,
            Manual = true,
            DndEndTime = dndEndTime - dndEndTime % 60,
            // A new end for a DND already on keeps what the first one would have returned to.
            PrevStatus = Status == Dnd ? PrevStatus : Status,
        },
        Dnd => this with { Status = Dnd, Manual = true, DndEndTime = 0 },
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a status"),
    };
}
