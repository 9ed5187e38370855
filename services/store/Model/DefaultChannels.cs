namespace Chat.Store.Model;

/// <summary>
/// The public channels every team is created with and every member joins (Mattermost's DefaultChannelNames, as it
/// has them while TeamSettings.ExperimentalDefaultChannels is empty; this server has no such setting).
/// </summary>
public static class DefaultChannels
{
    /// <summary>The team's own channel: members never leave it, and it is never archived.</summary>
    public const string TownSquare = "town-square";
    public const string OffTopic = "off-topic";

    public static IReadOnlyList<(string Name, string DisplayName)> All { get; } = [(TownSquare, "Town Square"), (OffTopic, "Off-Topic")];

    public static string[] Names { get; } = [.. All.Select(c => c.Name)];
}
