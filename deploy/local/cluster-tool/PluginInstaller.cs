namespace Chat.ClusterTool;

/// <summary>
/// Installs a bundle when it is missing or its contents changed, enables it, and waits until every api node runs it.
/// A second run with the same bundle uploads nothing.
/// </summary>
public sealed class PluginInstaller(ChatClient client, DirectoryInfo installed, int apiNodes, TimeSpan timeout)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    public async Task InstallAsync(FileInfo file, CancellationToken cancel)
    {
        var bundle = await PluginBundle.ReadAsync(file, cancel);
        var record = Path.Combine(installed.FullName, $"{bundle.Id}.installed");
        var saved = File.Exists(record) ? (await File.ReadAllTextAsync(record, cancel)).Trim() : null;
        if (bundle.Contents != saved || !(await client.GetPluginIdsAsync(cancel)).Contains(bundle.Id))
        {
            await client.UploadPluginAsync(bundle.Id, bundle.Archive, cancel);
            installed.Create();
            await File.WriteAllTextAsync(record, bundle.Contents + "\n", cancel);
            Output.Note($"{bundle.Id}: installed");
        }
        await client.EnablePluginAsync(bundle.Id, cancel);
        var running = await WaitUntilRunningAsync(bundle.Id, cancel);
        Output.Note($"{bundle.Id}: running on {running} api nodes");
    }

    /// <summary>Every live api node reports the plugin running, and there are as many as the cluster has.</summary>
    private async Task<int> WaitUntilRunningAsync(string id, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var statuses = (await client.GetPluginStatusesAsync(cancel)).Where(s => s.PluginId == id).ToList();
            var running = statuses.Count(s => s.State == PluginStatus.Running);
            if (statuses.Count > 0 && running == statuses.Count && running >= apiNodes)
            {
                return running;
            }
            if (DateTime.UtcNow >= deadline)
            {
                var seen = statuses.Count == 0 ? "no node reports it" : string.Join(", ", statuses.Select(s => $"{s.ClusterId}: state {s.State}{(string.IsNullOrEmpty(s.Error) ? "" : $" ({s.Error})")}"));
                throw new ClusterToolException($"{id} is not running on every api node after {timeout.TotalSeconds:0}s: {seen}");
            }
            await Task.Delay(Poll, cancel);
        }
    }
}
