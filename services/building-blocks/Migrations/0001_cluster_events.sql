-- The embedded pub/sub log, and the transactional outbox in both providers.
--
-- Readers order events by (txid, position), not by position alone: position comes from a sequence at insert
-- time, so a transaction that inserted position 10 can commit after one that inserted 11. txid is the inserting
-- transaction's id; a reader only reads rows whose txid is below the xmin of its own snapshot (every transaction
-- with a smaller id has ended), so no row can later appear behind its cursor. See EventLogReader.
CREATE TABLE cluster_events (
    position    bigint GENERATED ALWAYS AS IDENTITY,
    txid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    id          text        NOT NULL,
    topic       text        NOT NULL,
    type        text        NOT NULL,
    data        jsonb       NOT NULL,
    traceparent text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    PRIMARY KEY (txid, position),
    CONSTRAINT cluster_events_id_key UNIQUE (id)
);

-- Pruning by age: rows are appended in time order, so a BRIN index is tiny and enough.
CREATE INDEX cluster_events_created_at ON cluster_events USING brin (created_at);

-- Where durable consumers (a restarted node, the Dapr outbox relay) resume.
CREATE TABLE cluster_event_cursors (
    consumer   text        PRIMARY KEY,
    txid       xid8        NOT NULL,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
