-- Reactions and custom emoji, as Mattermost stores them. A removed reaction keeps its row with delete_at set (a
-- client that asks for changes since a time learns of the removal); adding it again revives the row.
ALTER TABLE posts ADD COLUMN has_reactions boolean NOT NULL DEFAULT false;

CREATE TABLE reactions (
    post_id    text NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    text NOT NULL,
    emoji_name text NOT NULL,
    channel_id text NOT NULL,
    create_at  bigint NOT NULL,
    update_at  bigint NOT NULL,
    delete_at  bigint NOT NULL DEFAULT 0,
    remote_id  text NOT NULL DEFAULT '',
    PRIMARY KEY (post_id, user_id, emoji_name)
);

-- Custom emoji; a name belongs to at most one live emoji (deleted ones keep their rows).
CREATE TABLE emoji (
    id         text PRIMARY KEY,
    create_at  bigint NOT NULL,
    update_at  bigint NOT NULL,
    delete_at  bigint NOT NULL DEFAULT 0,
    creator_id text NOT NULL,
    name       text NOT NULL
);
CREATE UNIQUE INDEX emoji_live_name ON emoji (name) WHERE delete_at = 0;
