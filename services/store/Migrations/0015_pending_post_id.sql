-- The client's key for a create (Mattermost's pending_post_id, "<user_id>:<timestamp>"), unique per author: a resend
-- of the same create, on any api node and at any time while the post exists, finds the original instead of making a
-- second post. Posts made without a key (system messages, plugins, imports) leave it empty and are not indexed.
ALTER TABLE posts ADD COLUMN pending_post_id text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX posts_user_pending_post_id ON posts (user_id, pending_post_id) WHERE pending_post_id <> '';
