-- Where every Mattermost WebSocket connection stands, so that it can resume on any realtime node (DESIGN.md).
--
-- A checkpoint (seq, cursor, membership) means: replaying the websocket topic of cluster_events after `cursor`, with
-- the user's channel and team membership as it was at `cursor`, the first event this connection gets has `seq`.
-- The fallback is an older checkpoint (1-11 s older), for a client that reconnects having lost the last events
-- its node sent before dying; it is cleared whenever a dropped typing event makes older checkpoints wrong.
CREATE TABLE websocket_connections (
    id                       text        PRIMARY KEY,
    user_id                  text        NOT NULL,
    session_id               text        NOT NULL,
    node                     text        NOT NULL,
    -- Raised by every node that takes the connection over: the previous holder's writes no longer match (fencing).
    generation               bigint      NOT NULL DEFAULT 0,
    -- Order of checkpoints within a generation: an older capture written late never overwrites a newer one.
    version                  bigint      NOT NULL DEFAULT 0,
    seq                      bigint      NOT NULL,
    cursor_txid              bigint      NOT NULL,
    cursor_position          bigint      NOT NULL,
    membership               jsonb       NOT NULL,
    checkpoint_at            timestamptz NOT NULL DEFAULT now(),
    fallback_seq             bigint,
    fallback_cursor_txid     bigint,
    fallback_cursor_position bigint,
    fallback_membership      jsonb,
    fallback_at              timestamptz,
    -- While connected, refreshed at least every 30 s; the resume window counts from here.
    last_seen                timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX websocket_connections_last_seen ON websocket_connections (last_seen);
