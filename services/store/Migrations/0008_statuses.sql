-- Mattermost's user statuses (online, away, offline, dnd), kept in the database so every node answers alike.
-- Times: last_activity_at in ms, dnd_end_time in unix seconds (as Mattermost's Status has them), both from the
-- database's clock. prev_status is what a timed DND returns to when it ends; it is not shown to clients.
CREATE TABLE statuses (
    user_id          text    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    status           text    NOT NULL,
    manual           boolean NOT NULL DEFAULT false,
    last_activity_at bigint  NOT NULL DEFAULT 0,
    dnd_end_time     bigint  NOT NULL DEFAULT 0,
    prev_status      text    NOT NULL DEFAULT ''
);

-- What the realtime nodes' sweep looks for: online users idle past the away timeout, and timed DND that ended.
CREATE INDEX statuses_idle ON statuses (last_activity_at) WHERE status = 'online' AND NOT manual;
CREATE INDEX statuses_dnd_end ON statuses (dnd_end_time) WHERE dnd_end_time > 0;

-- Every open client socket (WebSocket or SignalR) on any realtime node: a user is connected while one row is
-- theirs. Written by the node holding the socket when it opens and closes; the rows of a node that stopped
-- heartbeating (cluster_discovery) are removed by the other nodes' sweep. socket_id is new per socket: a client
-- that resumes its connection on another node (same connection_id) has a row per node while both sockets live.
CREATE TABLE status_sockets (
    socket_id     text        PRIMARY KEY,
    connection_id text        NOT NULL,
    node_id       text        NOT NULL,
    user_id       text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    opened_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX status_sockets_node_id ON status_sockets (node_id);
CREATE INDEX status_sockets_user_id ON status_sockets (user_id);
