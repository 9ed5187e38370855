-- Users, sessions, teams, channels and posts in Mattermost's shape. Timestamps are epoch milliseconds.

CREATE TABLE systems (
    name  text PRIMARY KEY,
    value text NOT NULL
);
-- Flipped once, under a row lock, by the sign-up that makes the first human user an admin.
INSERT INTO systems (name, value) VALUES ('FirstAdminAssigned', 'false');

CREATE TABLE users (
    id                   text PRIMARY KEY,
    create_at            bigint NOT NULL,
    update_at            bigint NOT NULL,
    delete_at            bigint NOT NULL DEFAULT 0,
    username             text NOT NULL UNIQUE,
    email                text NOT NULL UNIQUE,
    password_hash        text NOT NULL,
    nickname             text NOT NULL DEFAULT '',
    first_name           text NOT NULL DEFAULT '',
    last_name            text NOT NULL DEFAULT '',
    position             text NOT NULL DEFAULT '',
    roles                text NOT NULL,
    locale               text NOT NULL DEFAULT 'en',
    is_bot               boolean NOT NULL DEFAULT false,
    last_password_update bigint NOT NULL
);

CREATE TABLE sessions (
    id               text PRIMARY KEY,
    token_hash       bytea NOT NULL UNIQUE,
    user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    create_at        bigint NOT NULL,
    expires_at       bigint NOT NULL,
    last_activity_at bigint NOT NULL,
    device_id        text NOT NULL DEFAULT '',
    csrf_token       text NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE teams (
    id                text PRIMARY KEY,
    create_at         bigint NOT NULL,
    update_at         bigint NOT NULL,
    delete_at         bigint NOT NULL DEFAULT 0,
    name              text NOT NULL UNIQUE,
    display_name      text NOT NULL,
    description       text NOT NULL DEFAULT '',
    email             text NOT NULL DEFAULT '',
    type              text NOT NULL,
    company_name      text NOT NULL DEFAULT '',
    allowed_domains   text NOT NULL DEFAULT '',
    invite_id         text NOT NULL,
    allow_open_invite boolean NOT NULL DEFAULT false
);

CREATE TABLE team_members (
    team_id      text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scheme_admin boolean NOT NULL DEFAULT false,
    create_at    bigint NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_id ON team_members (user_id);

CREATE TABLE channels (
    id              text PRIMARY KEY,
    create_at       bigint NOT NULL,
    update_at       bigint NOT NULL,
    delete_at       bigint NOT NULL DEFAULT 0,
    team_id         text NOT NULL DEFAULT '',
    type            text NOT NULL,
    display_name    text NOT NULL DEFAULT '',
    name            text NOT NULL,
    header          text NOT NULL DEFAULT '',
    purpose         text NOT NULL DEFAULT '',
    last_post_at    bigint NOT NULL DEFAULT 0,
    total_msg_count bigint NOT NULL DEFAULT 0,
    creator_id      text NOT NULL DEFAULT '',
    UNIQUE (team_id, name)
);

CREATE TABLE channel_members (
    channel_id      text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scheme_admin    boolean NOT NULL DEFAULT false,
    last_viewed_at  bigint NOT NULL DEFAULT 0,
    msg_count       bigint NOT NULL DEFAULT 0,
    mention_count   bigint NOT NULL DEFAULT 0,
    last_update_at  bigint NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user_id ON channel_members (user_id);

CREATE TABLE posts (
    id          text PRIMARY KEY,
    -- The order of posts; assigned by the database so node clocks never matter.
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    create_at   bigint NOT NULL,
    update_at   bigint NOT NULL,
    edit_at     bigint NOT NULL DEFAULT 0,
    delete_at   bigint NOT NULL DEFAULT 0,
    is_pinned   boolean NOT NULL DEFAULT false,
    user_id     text NOT NULL,
    channel_id  text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    root_id     text NOT NULL DEFAULT '',
    original_id text NOT NULL DEFAULT '',
    message     text NOT NULL,
    type        text NOT NULL DEFAULT '',
    props       jsonb NOT NULL DEFAULT '{}',
    hashtags    text NOT NULL DEFAULT ''
);
CREATE INDEX posts_channel_seq ON posts (channel_id, seq);
CREATE INDEX posts_channel_update_at ON posts (channel_id, update_at);
