namespace Chat.Configuration;

/// <summary>
/// The server configuration in Mattermost's config.json shape: one class per section, PascalCase keys.
/// Every node reads the same file (or the same environment), so every node must end up with the same values.
/// </summary>
public sealed class ChatConfig
{
    public ServiceSettings ServiceSettings { get; set; } = new();
    public TeamSettings TeamSettings { get; set; } = new();
    public SqlSettings SqlSettings { get; set; } = new();
    public PasswordSettings PasswordSettings { get; set; } = new();
    public PrivacySettings PrivacySettings { get; set; } = new();
    public ClusterSettings ClusterSettings { get; set; } = new();
    public FileSettings FileSettings { get; set; } = new();
    public DaprSettings DaprSettings { get; set; } = new();
    public JobSettings JobSettings { get; set; } = new();
    public PluginSettings PluginSettings { get; set; } = new();
    public DataRetentionSettings DataRetentionSettings { get; set; } = new();
    public MessageExportSettings MessageExportSettings { get; set; } = new();
    public SearchIndexingSettings SearchIndexingSettings { get; set; } = new();
    public RateLimitSettings RateLimitSettings { get; set; } = new();
}

public sealed class ServiceSettings
{
    /// <summary>Address Kestrel binds, Mattermost style (":8065" or "127.0.0.1:8101").</summary>
    public string ListenAddress { get; set; } = ":8065";
    public string SiteURL { get; set; } = "";
    /// <summary>Origins (space-separated, "*" for any) whose pages may use a session cookie across sites, besides SiteURL's own.</summary>
    public string AllowCorsFrom { get; set; } = "";
    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaximumPayloadSizeBytes { get; set; } = 300_000;
    public int SessionLengthWebInHours { get; set; } = 720;
    /// <summary>
    /// Minutes without a request after which a web session (one without a device id) ends, as in Mattermost
    /// (default 30 days); 0 never. Activity is recorded at most every 5 minutes.
    /// </summary>
    public int SessionIdleTimeoutInMinutes { get; set; } = 43_200;
    /// <summary>Wrong passwords in a row after which password login is locked until the password is reset.</summary>
    public int MaximumLoginAttempts { get; set; } = 10;
    public int MaxPostSizeRunes { get; set; } = 16_383;
    /// <summary>
    /// How long after a WebSocket disconnects the client may still resume it (same connection id, every missed
    /// event) on any realtime node; later it gets a new connection and a hello, its signal to resync.
    /// </summary>
    public int WebSocketResumeWindowMinutes { get; set; } = 15;
    /// <summary>Seconds without activity (a socket opened, a client message, a post) after which an online user is away.</summary>
    public int UserStatusAwayTimeout { get; set; } = 300;
    /// <summary>Whether viewing a channel (and posting in it) sends the user multiple_channels_viewed.</summary>
    public bool EnableChannelViewedMessages { get; set; } = true;
    /// <summary>How many different emoji one post's reactions may use (Mattermost's default, 50).</summary>
    public int UniqueEmojiReactionLimitPerPost { get; set; } = 50;
    /// <summary>Whether users may create custom emoji (and every emoji route answers); Mattermost's default since 7.0, on.</summary>
    public bool EnableCustomEmoji { get; set; } = true;
    /// <summary>
    /// Addresses and networks (space-separated, CIDR allowed) of the proxies in front of the nodes: only from them is
    /// the last X-Forwarded-For hop taken as the client's address. Not a Mattermost setting (Mattermost trusts the
    /// headers named in TrustedProxyIPHeader from anyone).
    /// </summary>
    public string TrustedProxies { get; set; } = "127.0.0.1/8 ::1";
    /// <summary>Sockets one user may hold open on one realtime node; the next one is refused. Not a Mattermost setting (it sets no cap).</summary>
    public int MaximumWebSocketConnectionsPerUser { get; set; } = 50;
    /// <summary>Sockets one address may hold open on one realtime node before they authenticate.</summary>
    public int MaximumUnauthenticatedWebSocketConnectionsPerAddress { get; set; } = 20;
}

public sealed class TeamSettings
{
    /// <summary>Anyone may sign up without an invitation while true.</summary>
    public bool EnableOpenServer { get; set; } = true;
    public int MaxUsersPerTeam { get; set; } = 10_000;
    public int MaxChannelsPerTeam { get; set; } = 10_000;
    /// <summary>@channel, @all and @here mention nobody in a channel with this many members or more.</summary>
    public int MaxNotificationsPerChannel { get; set; } = 1_000;
}

public sealed class SqlSettings
{
    public string DataSource { get; set; } = "";
    public List<string> DataSourceReplicas { get; set; } = [];
    public List<string> DataSourceSearchReplicas { get; set; } = [];
    public int MaxOpenConns { get; set; } = 50;
    public int MaxIdleConns { get; set; } = 10;
    /// <summary>Seconds a single query may run.</summary>
    public int QueryTimeout { get; set; } = 30;
    /// <summary>
    /// After a user's write, that user's reads stay on the primary this long (replication lag must not hide their
    /// own change from them). Not a Mattermost setting.
    /// </summary>
    public int ReadYourWritesMilliseconds { get; set; } = 5000;
}

public sealed class PasswordSettings
{
    public int MinimumLength { get; set; } = 8;
}

public sealed class PrivacySettings
{
    public bool ShowEmailAddress { get; set; } = true;
    public bool ShowFullName { get; set; } = true;
}

public sealed class ClusterSettings
{
    public bool Enable { get; set; } = true;
    public string ClusterName { get; set; } = "chat";
    /// <summary>The name this node reports (cluster status, WebSocket hello); empty means the machine's.</summary>
    public string OverrideHostname { get; set; } = "";
    public bool UseIpAddress { get; set; } = true;
    public bool ReadOnlyConfig { get; set; } = true;
    /// <summary>How often a node records in the cluster_discovery table that it is alive. Not a Mattermost setting.</summary>
    public int HeartbeatIntervalMilliseconds { get; set; } = 1000;
    /// <summary>A node whose last heartbeat is older than this (by the database's clock) is reported down.</summary>
    public int NodeDownAfterMilliseconds { get; set; } = 5000;
    /// <summary>How long a node that stopped heartbeating stays listed (as down) before its row is deleted.</summary>
    public int StaleNodeRetentionHours { get; set; } = 6;
}

public sealed class FileSettings
{
    /// <summary>Shared file storage (a NAS path in production).</summary>
    public string Directory { get; set; } = "./data/";
    /// <summary>Largest file upload (plugin bundles included), Mattermost's 100 MiB by default.</summary>
    public long MaxFileSize { get; set; } = 104_857_600;
    /// <summary>"local" (<see cref="Directory"/>, shared by every node) or "amazons3".</summary>
    public string DriverName { get; set; } = "local";
    /// <summary>Whether users may upload files (POST /files; 403 while off).</summary>
    public bool EnableFileAttachments { get; set; } = true;
    /// <summary>Whether files may be shared through public links (GET /files/{id}/link and /files/{id}/public).</summary>
    public bool EnablePublicLink { get; set; }
    /// <summary>The salt of public links' hashes; changing it revokes every link given out.</summary>
    public string PublicLinkSalt { get; set; } = "";
    /// <summary>Images with more pixels than this are stored as plain files: no thumbnail, preview or dimensions (Mattermost's 7680x4320).</summary>
    public long MaxImageResolution { get; set; } = 33_177_600;
    /// <summary>Uploads never attached to a post are removed after this many hours (the jobs' file housekeeping).</summary>
    public int UnattachedFileRetentionHours { get; set; } = 24;
    /// <summary>S3 access key; empty: the AWS SDK's default credentials (an instance role).</summary>
    public string AmazonS3AccessKeyId { get; set; } = "";
    public string AmazonS3SecretAccessKey { get; set; } = "";
    public string AmazonS3Bucket { get; set; } = "";
    /// <summary>A folder in the bucket under which every file is kept.</summary>
    public string AmazonS3PathPrefix { get; set; } = "";
    public string AmazonS3Region { get; set; } = "";
    /// <summary>host[:port] of the S3 service; any endpoint other than AWS's is addressed path-style.</summary>
    public string AmazonS3Endpoint { get; set; } = "s3.amazonaws.com";
    public bool AmazonS3SSL { get; set; } = true;
    /// <summary>Only signature version 4 is spoken; true is refused at start-up.</summary>
    public bool AmazonS3SignV2 { get; set; }
    public long AmazonS3RequestTimeoutMilliseconds { get; set; } = 30_000;
    /// <summary>Uploads go up in parts of this size (one in memory per upload at a time).</summary>
    public long AmazonS3UploadPartSizeBytes { get; set; } = 5_242_880;
}

/// <summary>
/// The Dapr building blocks (pub/sub, state, lock, reminders) and which provider serves them. Not a Mattermost
/// section; every node must use the same values. Sidecar address and tokens come from Dapr's own variables
/// (DAPR_HTTP_ENDPOINT / DAPR_HTTP_PORT, DAPR_API_TOKEN, APP_API_TOKEN), so secrets stay out of the config hash.
/// </summary>
public sealed class DaprSettings
{
    /// <summary>"Embedded" (built on our PostgreSQL; the default) or "Dapr" (the sidecar's HTTP API).</summary>
    public string Provider { get; set; } = "Embedded";
    /// <summary>The Dapr pub/sub component's name (Dapr provider).</summary>
    public string PubSubName { get; set; } = "pubsub";
    /// <summary>The Dapr state store component's name (Dapr provider; also the actor state store).</summary>
    public string StateStoreName { get; set; } = "statestore";
    /// <summary>The Dapr lock store component's name (Dapr provider).</summary>
    public string LockStoreName { get; set; } = "lockstore";
    /// <summary>How long the embedded event log keeps an event: a node down for longer cannot catch up from it.</summary>
    public int EventRetentionMinutes { get; set; } = 1440;
}

/// <summary>
/// Mattermost's request rate limit (GCRA: PerSec requests a second, MaxBurst more at once), kept in each api node's
/// memory, plus a limit on login and sign-up per address that applies even while Enable is off.
/// </summary>
public sealed class RateLimitSettings
{
    public bool Enable { get; set; }
    public int PerSec { get; set; } = 10;
    public int MaxBurst { get; set; } = 100;
    /// <summary>Keys (addresses, users) remembered; the least recently seen is forgotten first.</summary>
    public int MemoryStoreSize { get; set; } = 10_000;
    public bool VaryByRemoteAddr { get; set; } = true;
    /// <summary>Limit each signed-in user on their own (anonymous requests by address while VaryByRemoteAddr).</summary>
    public bool VaryByUser { get; set; }
    /// <summary>A request header whose value is added to the key (e.g. an API key header); empty: none.</summary>
    public string VaryByHeader { get; set; } = "";
    /// <summary>Logins (POST /users/login) and sign-ups (POST /users), each, one address may make a minute. Not a Mattermost setting.</summary>
    public int LoginAndSignUpPerMinute { get; set; } = 60;
    /// <summary>How many of those may come at once beyond the rate. Not a Mattermost setting.</summary>
    public int LoginAndSignUpMaxBurst { get; set; } = 20;
}
