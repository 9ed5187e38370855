namespace Chat.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class S3FilesCollection : ICollectionFixture<S3FilesFixture>
{
    public const string Name = "files-s3";
}

/// <summary>
/// <see cref="ClusterFixture"/>'s api nodes (two, and the restricted one) with FileSettings.DriverName amazons3:
/// their files go to a bucket on an s3rver this fixture starts, so the file tests run on the S3 driver too. The two
/// take files up to <see cref="MaxFileSize"/>, more than one upload part, so an upload over it is cut off mid-way.
/// </summary>
public sealed class S3FilesFixture : TestClusterFixture
{
    public const int MaxFileSize = 8 << 20;

    public S3Server S3 { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        S3 = await S3Server.StartAsync();
        await base.InitializeAsync();
    }

    protected override TestClusterBuilder Build() =>
        ClusterFixture.WithRestrictedNode(TestCluster.Create("files_s3").WithApi(2))
            .WithSettings(S3.Settings("chat-files"))
            .WithSetting("MM_FILESETTINGS_MAXFILESIZE", MaxFileSize.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (S3 is not null)
        {
            await S3.DisposeAsync();
        }
    }
}
