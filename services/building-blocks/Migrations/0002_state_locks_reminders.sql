-- Embedded providers of the state, lock and reminder building blocks. Every expiry is compared with the database
-- clock (now()), never a node's, so nodes with skewed clocks agree on what has expired.

-- Key-value state. Keys compare byte-wise (COLLATE "C") so a prefix LIKE uses the primary key and listings sort the
-- same on every node. A row past expires_at is treated as absent everywhere and deleted later by the pruner.
CREATE TABLE state_entries (
    key        text COLLATE "C" PRIMARY KEY,
    value      jsonb       NOT NULL,
    etag       uuid        NOT NULL,
    expires_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX state_entries_expires_at ON state_entries (expires_at) WHERE expires_at IS NOT NULL;

-- The keys the Dapr state provider has written, so that it can list them by prefix (Dapr's state API cannot).
-- A superset of the sidecar's keys: written before the sidecar write, deleted after the sidecar delete.
CREATE TABLE state_key_index (
    store      text             NOT NULL,
    key        text COLLATE "C" NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (store, key)
);

-- Distributed locks: a row is a held lock until expires_at; an expired row is free to take.
CREATE TABLE distributed_locks (
    resource_id text        PRIMARY KEY,
    owner       text        NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Actor reminders. scheduled_at is the firing being waited for; due_at is when a node may next claim it: equal to
-- scheduled_at until a node claims the firing, then the end of that node's lease (so if the node dies, the firing
-- becomes claimable again when the lease ends). claim identifies the claim, so a node finishing a firing after the
-- reminder was replaced or deleted changes nothing.
CREATE TABLE actor_reminders (
    actor_type   text        NOT NULL,
    actor_id     text        NOT NULL,
    name         text        NOT NULL,
    scheduled_at timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    period       interval,
    data         jsonb,
    claim        uuid,
    attempts     integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (actor_type, actor_id, name)
);
CREATE INDEX actor_reminders_due ON actor_reminders (actor_type, due_at);
