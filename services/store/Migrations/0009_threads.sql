-- Threads (issue 14) in Mattermost's shape: one row per thread root that has replies, and one per user who follows
-- (or once followed) a thread. Raised by the posts' own transaction (ThreadStore.ApplyRepliesAsync), relative to the
-- row, so replies committed by several nodes at once add up exactly. A thread's team is its channel's ('' for
-- direct and group channels, which belong to every team's list).

-- A root removed for good (data retention) takes its thread and memberships with it.
CREATE TABLE threads (
    post_id       text    PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    channel_id    text    NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    team_id       text    NOT NULL DEFAULT '',
    reply_count   bigint  NOT NULL DEFAULT 0,
    last_reply_at bigint  NOT NULL DEFAULT 0,
    -- Repliers, the most recent last, as Mattermost orders them.
    participants  text[]  NOT NULL DEFAULT '{}',
    delete_at     bigint  NOT NULL DEFAULT 0
);
CREATE INDEX threads_channel_id ON threads (channel_id);

CREATE TABLE thread_memberships (
    post_id         text    NOT NULL REFERENCES threads (post_id) ON DELETE CASCADE,
    user_id         text    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    following       boolean NOT NULL DEFAULT true,
    last_viewed     bigint  NOT NULL DEFAULT 0,
    last_updated    bigint  NOT NULL DEFAULT 0,
    unread_mentions bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX thread_memberships_user_id ON thread_memberships (user_id) WHERE following;

-- A thread's replies in order, for the thread view and the unread replies of each follower.
CREATE INDEX posts_root_id_create_at ON posts (root_id, create_at) WHERE root_id <> '';

-- Threads that already have replies; their repliers and root authors follow them, everything read up to their
-- last reply (nothing recorded what they had read).
INSERT INTO threads (post_id, channel_id, team_id, reply_count, last_reply_at, participants)
SELECT r.id, r.channel_id, c.team_id, t.n, t.last_at, t.participants
FROM (SELECT root_id, count(*) AS n, max(create_at) AS last_at,
             array_agg(user_id ORDER BY create_at) FILTER (WHERE is_users_last) AS participants
      FROM (SELECT root_id, user_id, create_at,
                   row_number() OVER (PARTITION BY root_id, user_id ORDER BY create_at DESC) = 1 AS is_users_last
            FROM posts WHERE root_id <> '' AND delete_at = 0) p
      GROUP BY root_id) t
JOIN posts r ON r.id = t.root_id AND r.delete_at = 0
JOIN channels c ON c.id = r.channel_id;

INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated)
SELECT t.post_id, u.user_id, true, t.last_reply_at, t.last_reply_at
FROM threads t
JOIN posts r ON r.id = t.post_id
CROSS JOIN LATERAL (SELECT unnest(t.participants) AS user_id UNION SELECT r.user_id) u
WHERE EXISTS (SELECT 1 FROM users WHERE users.id = u.user_id);
