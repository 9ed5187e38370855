using Chat.Store.Model;
using Chat.Store.Routing;
using Dapper;
using Npgsql;

namespace Chat.Store.Postgres;

/// <remarks>Reads may run on a replica: the user's own reads stay on the primary for a while after their writes.</remarks>
public sealed class PreferenceStore(DatabaseRouter router)
{
    private const string Columns = "user_id, category, name, value";

    public Task<IReadOnlyList<Preference>> GetAllAsync(string userId) =>
        router.ReadAsync<IReadOnlyList<Preference>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<Preference>(
                $"SELECT {Columns} FROM preferences WHERE user_id = @userId ORDER BY category, name", new { userId })]);

    public Task<IReadOnlyList<Preference>> GetCategoryAsync(string userId, string category) =>
        router.ReadAsync<IReadOnlyList<Preference>>(ReadTarget.Replica, async connection =>
            [.. await connection.QueryAsync<Preference>(
                $"SELECT {Columns} FROM preferences WHERE user_id = @userId AND category = @category ORDER BY name", new { userId, category })]);

    /// <summary>Inserts or replaces each preference (one per user, category and name) in the caller's transaction.</summary>
    public Task SaveAsync(NpgsqlTransaction transaction, IReadOnlyList<Preference> preferences) =>
        transaction.Connection().ExecuteAsync($"""
            INSERT INTO preferences ({Columns})
            SELECT * FROM unnest(@userIds, @categories, @names, @values)
            ON CONFLICT (user_id, category, name) DO UPDATE SET value = excluded.value
            """, Arrays(preferences), transaction);

    public Task DeleteAsync(NpgsqlTransaction transaction, IReadOnlyList<Preference> preferences) =>
        transaction.Connection().ExecuteAsync("""
            DELETE FROM preferences p
            USING unnest(@userIds, @categories, @names) AS d (user_id, category, name)
            WHERE p.user_id = d.user_id AND p.category = d.category AND p.name = d.name
            """, Arrays(preferences), transaction);

    private static object Arrays(IReadOnlyList<Preference> preferences) => new
    {
        userIds = preferences.Select(p => p.UserId).ToArray(),
        categories = preferences.Select(p => p.Category).ToArray(),
        names = preferences.Select(p => p.Name).ToArray(),
        values = preferences.Select(p => p.Value).ToArray(),
    };
}
