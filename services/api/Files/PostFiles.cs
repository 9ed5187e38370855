using System.Text.Json;
using Chat.ServiceDefaults;
using Chat.Store.Model;
using Chat.Store.Postgres;
using FileInfo = Chat.Store.Model.FileInfo;

namespace Chat.Api.Files;

/// <summary>
/// Mattermost's post metadata for files: metadata.files holds the live FileInfos of a post's file_ids, so clients
/// show attachments without asking for them. Posts without file_ids cost nothing.
/// </summary>
public sealed class PostFiles(FileInfoStore files)
{
    public async Task<Post> WithFilesAsync(Post post)
    {
        if (post.FileIds is not { Count: > 0 })
        {
            return post;
        }
        return With(post, await files.GetForPostAsync(post.Id, includeDeleted: false));
    }

    public async Task<PostList> WithFilesAsync(PostList list)
    {
        var ids = list.Posts.Values.Where(p => p.FileIds is { Count: > 0 }).Select(p => p.Id).ToList();
        if (ids.Count == 0)
        {
            return list;
        }
        var byPost = await files.GetForPostsAsync(ids);
        var posts = new Dictionary<string, Post>(list.Posts);
        foreach (var id in ids)
        {
            posts[id] = With(posts[id], byPost[id]);
        }
        return list with { Posts = posts };
    }

    /// <summary>The post with <paramref name="infos"/> as its metadata.files (left out when there are none, as Mattermost does).</summary>
    public static Post With(Post post, IEnumerable<FileInfo> infos)
    {
        var list = infos.ToList();
        if (list.Count == 0)
        {
            return post;
        }
        var metadata = new Dictionary<string, JsonElement>(post.Metadata)
        {
            ["files"] = JsonSerializer.SerializeToElement(list, ServiceDefaultsExtensions.JsonOptions),
        };
        return post with { Metadata = metadata };
    }
}
