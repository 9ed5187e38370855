-- Pinned posts (GET /channels/{id}/pinned, the pinnedpost_count of channel stats) and edit history. As in Mattermost,
-- an edit keeps the post's id and stores the version it replaced as a row of its own: a new id, original_id = the
-- post's id, delete_at = update_at = the time of the edit. Such rows are deleted, so every read of live posts
-- (delete_at = 0) passes them by; GET /posts/{id}/edit_history reads them by original_id.
CREATE INDEX posts_channel_pinned ON posts (channel_id, create_at) WHERE is_pinned AND delete_at = 0;
CREATE INDEX posts_original_id ON posts (original_id, edit_at) WHERE original_id <> '';
