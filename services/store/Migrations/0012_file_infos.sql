-- Uploaded files (Mattermost's FileInfo), the ids of the files attached to each post, and when users' profile images changed.
CREATE TABLE file_infos (
    id                text PRIMARY KEY,
    creator_id        text NOT NULL,
    channel_id        text NOT NULL,
    -- Empty until a post of the creator's in that channel claims the upload.
    post_id           text NOT NULL DEFAULT '',
    create_at         bigint NOT NULL,
    update_at         bigint NOT NULL,
    delete_at         bigint NOT NULL DEFAULT 0,
    path              text NOT NULL,
    thumbnail_path    text NOT NULL DEFAULT '',
    preview_path      text NOT NULL DEFAULT '',
    name              text NOT NULL,
    extension         text NOT NULL,
    size              bigint NOT NULL,
    mime_type         text NOT NULL,
    width             integer NOT NULL DEFAULT 0,
    height            integer NOT NULL DEFAULT 0,
    has_preview_image boolean NOT NULL DEFAULT false,
    mini_preview      bytea
);
CREATE INDEX file_infos_post ON file_infos (post_id) WHERE post_id <> '';
-- The housekeeping job's scan: uploads never attached, oldest first.
CREATE INDEX file_infos_unattached ON file_infos (create_at) WHERE post_id = '' AND delete_at = 0;

ALTER TABLE posts ADD COLUMN file_ids jsonb NOT NULL DEFAULT '[]';
ALTER TABLE users ADD COLUMN last_picture_update bigint NOT NULL DEFAULT 0;
