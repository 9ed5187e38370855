namespace Chat.SchemaMigrations;

/// <summary>
/// Every PostgreSQL advisory-lock key the services take, in one place so no two uses collide. The values are fixed
/// for good: nodes of different versions run side by side during a rolling upgrade and must contend for the same
/// locks. Each single key spells "Chat" and three letters in ASCII. A new key gets a value of its own here
/// (AdvisoryLockKeysTests checks they stay distinct).
/// </summary>
public static class AdvisoryLockKeys
{
    /// <summary>The cluster-wide migration lock: one node at a time applies every registered migration set.</summary>
    public const long SchemaMigrations = 0x43_68_61_74_4D_69_67;

    // Each migration set's own lock from before all sets ran under SchemaMigrations; nodes of the previous version
    // still take them, so the runner holds them too (MigrationSet.LockKey).
    public const long BuildingBlocksMigrations = 0x43_68_61_74_42_42_4D;
    public const long JobsMigrations = 0x43_68_61_74_4A_6F_62;
    public const long RealtimeMigrations = 0x43_68_61_74_52_54_4D;
    public const long PluginMigrations = 0x43_68_61_74_50_6C_67;
    public const long ClusterMembershipMigrations = 0x43_68_61_74_43_6C_75;

    /// <summary>Serializes job claims, so one job per type runs in the cluster (a transaction lock).</summary>
    public const long JobClaim = 0x43_68_61_74_43_6C_6D;

    /// <summary>Serializes plugin changes, so a bundle file and its row always change together (a transaction lock).</summary>
    public const long PluginChanges = 0x43_68_61_74_50_6C_43;

    /// <summary>One node at a time prunes the embedded event log.</summary>
    public const long EventLogPruning = 0x43_68_61_74_50_72_75;

    /// <summary>One node at a time prunes expired state entries, key-index rows and locks.</summary>
    public const long ExpiredRowPruning = 0x43_68_61_74_45_78_70;

    /// <summary>The one node that relays the event log to the Dapr sidecar holds it.</summary>
    public const long DaprEventRelay = 0x43_68_61_74_52_6C_79;

    /// <summary>
    /// The class (first key of PostgreSQL's two-int form) of the transaction locks that publishing transactions hold
    /// so readers wake when they end. Two-int keys are a key space apart from the single keys above.
    /// </summary>
    public const int EventPublishingTransactions = 0x43424557;
}
