-- Read state and mentions in Mattermost's shape (issue 13): each post raises its channel's counters, the author's
-- member is marked read, and the members it mentions get their mention counts raised (PostStore, in the post's
-- transaction). A member's msg_count is the number of the channel's posts the member has READ: unread =
-- channels.total_msg_count - channel_members.msg_count; the _root columns count posts that start a thread.

ALTER TABLE channels
    ADD COLUMN total_msg_count_root bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_root_post_at    bigint NOT NULL DEFAULT 0;

UPDATE channels c
SET total_msg_count_root = r.n, last_root_post_at = r.last_at
FROM (SELECT channel_id, count(*) AS n, max(create_at) AS last_at FROM posts WHERE root_id = '' GROUP BY channel_id) r
WHERE r.channel_id = c.id;

ALTER TABLE channel_members
    ADD COLUMN scheme_guest         boolean NOT NULL DEFAULT false,
    ADD COLUMN scheme_user          boolean NOT NULL DEFAULT true,
    ADD COLUMN explicit_roles       text    NOT NULL DEFAULT '',
    ADD COLUMN msg_count_root       bigint  NOT NULL DEFAULT 0,
    ADD COLUMN mention_count_root   bigint  NOT NULL DEFAULT 0,
    ADD COLUMN urgent_mention_count bigint  NOT NULL DEFAULT 0,
    -- Mattermost's defaults for a new member (model.GetDefaultChannelNotifyProps).
    ADD COLUMN notify_props         jsonb   NOT NULL DEFAULT
        '{"desktop":"default","email":"default","ignore_channel_mentions":"default","mark_unread":"all","push":"default","channel_auto_follow_threads":"off"}';

-- Nothing recorded what members had read before, so they start with everything read rather than every old post unread.
UPDATE channel_members m
SET msg_count = c.total_msg_count, msg_count_root = c.total_msg_count_root,
    last_viewed_at = greatest(m.last_viewed_at, c.last_post_at)
FROM channels c
WHERE c.id = m.channel_id;

ALTER TABLE team_members
    ADD COLUMN delete_at      bigint  NOT NULL DEFAULT 0,
    ADD COLUMN scheme_guest   boolean NOT NULL DEFAULT false,
    ADD COLUMN scheme_user    boolean NOT NULL DEFAULT true,
    ADD COLUMN explicit_roles text    NOT NULL DEFAULT '';

-- The user's notification settings, which decide what mentions them: mention_keys, first_name, channel. The
-- users' part of issue 13 fills them with Mattermost's defaults and may add this column as well, hence IF NOT EXISTS.
ALTER TABLE users ADD COLUMN IF NOT EXISTS notify_props jsonb NOT NULL DEFAULT '{}';

-- Posts are checked for the mention keywords of their channel's members: the few users who set keywords of their
-- own (or their first name) are kept at hand, so that a busy channel's other members are read only when named. A
-- column of its own, so the planner knows how few they are.
ALTER TABLE users ADD COLUMN has_mention_keywords boolean
    GENERATED ALWAYS AS (notify_props->>'mention_keys' <> '' OR notify_props->>'first_name' = 'true') STORED;
CREATE INDEX users_with_mention_keywords ON users (id) WHERE has_mention_keywords;
