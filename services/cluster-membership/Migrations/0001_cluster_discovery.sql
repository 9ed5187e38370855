-- Mattermost's ClusterDiscovery: one row per running node (api, realtime, jobs), kept alive by its heartbeats.
-- Liveness is judged by the database's clock only (now() - last_ping_at), never by comparing node clocks.
CREATE TABLE cluster_discovery (
    id             text        PRIMARY KEY,  -- the node id: sorts by start time (NodeInfo.NodeId)
    service        text        NOT NULL,
    cluster_name   text        NOT NULL,
    hostname       text        NOT NULL,
    ip_address     text        NOT NULL,
    port           integer     NOT NULL,
    version        text        NOT NULL,
    schema_version integer     NOT NULL,
    config_hash    text        NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    last_ping_at   timestamptz NOT NULL DEFAULT now(),
    -- Written by the jobs service's leader election; false until that exists.
    is_leader      boolean     NOT NULL DEFAULT false
);

CREATE INDEX cluster_discovery_cluster_name ON cluster_discovery (cluster_name);

-- Which product versions may run against this database (one row). Every node that starts raises it to its own
-- version when newer; a node older than min_code_version refuses to start (see SchemaCompatibility).
CREATE TABLE schema_release (
    singleton        boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    version          text        NOT NULL,
    min_code_version text        NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
