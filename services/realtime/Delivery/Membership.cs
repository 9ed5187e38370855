using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.ClientEvents;

namespace Chat.Realtime.Delivery;

/// <summary>
/// The channels (with their team, "" for direct and group channels) and teams one connected user belongs to, as
/// of a place in the event log. Immutable: a queued event keeps the membership that was current before it, which
/// is what a checkpoint taken in front of that event must record.
/// </summary>
internal sealed class Membership
{
    public static readonly Membership Empty = new(ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal), ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal));

    private Membership(ImmutableDictionary<string, string> channels, ImmutableHashSet<string> teams)
    {
        Channels = channels;
        Teams = teams;
    }

    /// <summary>Channel id → team id.</summary>
    public ImmutableDictionary<string, string> Channels { get; }

    public ImmutableHashSet<string> Teams { get; }

    public static Membership Of(IEnumerable<KeyValuePair<string, string>> channels, IEnumerable<string> teams) =>
        new(Empty.Channels.AddRange(channels), Empty.Teams.Union(teams));

    /// <summary>Applies a change; the same instance when nothing changes, so "did it change" is a reference check.</summary>
    public Membership Apply(MembershipChange change) => change.Op switch
    {
        MembershipChange.JoinChannel when !(Channels.TryGetValue(change.ChannelId, out var team) && team == change.TeamId) =>
            new(Channels.SetItem(change.ChannelId, change.TeamId), Teams),
        MembershipChange.LeaveChannel when Channels.ContainsKey(change.ChannelId) =>
            new(Channels.Remove(change.ChannelId), Teams),
        MembershipChange.JoinTeam when !Teams.Contains(change.TeamId) =>
            new(Channels, Teams.Add(change.TeamId)),
        // Leaving a team also leaves its channels.
        MembershipChange.LeaveTeam when Teams.Contains(change.TeamId) || Channels.Values.Contains(change.TeamId) =>
            new(Channels.RemoveRange(Channels.Where(c => c.Value == change.TeamId).Select(c => c.Key).ToList()), Teams.Remove(change.TeamId)),
        _ => this,
    };

    public string ToJson() => JsonSerializer.Serialize(new Stored(Channels, Teams), StoredJson.Default.Stored);

    public static Membership FromJson(string json)
    {
        var stored = JsonSerializer.Deserialize(json, StoredJson.Default.Stored) ?? throw new JsonException("membership is null");
        return Of(stored.Channels ?? new Dictionary<string, string>(), stored.Teams ?? []);
    }

    internal sealed record Stored(
        [property: JsonPropertyName("channels")] IReadOnlyDictionary<string, string>? Channels,
        [property: JsonPropertyName("teams")] IEnumerable<string>? Teams);
}

[JsonSerializable(typeof(Membership.Stored))]
internal sealed partial class StoredJson : JsonSerializerContext;
