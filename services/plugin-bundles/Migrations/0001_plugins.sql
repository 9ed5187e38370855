-- Installed plugins, cluster-wide: which bundle (its manifest and the SHA-256 of the file in shared storage) and
-- whether it should run. Every api node brings its local copies in line with this table.
CREATE TABLE plugins (
    id           text    PRIMARY KEY,
    manifest     jsonb   NOT NULL,
    enabled      boolean NOT NULL DEFAULT false,
    bundle_hash  text    NOT NULL,
    bundle_size  bigint  NOT NULL,
    installed_at bigint  NOT NULL,
    updated_at   bigint  NOT NULL
);

-- What each api node reports about its copy of each plugin (Mattermost's PluginStatus), so that any node can answer
-- GET /api/v4/plugins/statuses for all of them. A node replaces its own rows; rows of nodes that left go with them.
CREATE TABLE plugin_statuses (
    node_id     text    NOT NULL,
    plugin_id   text    NOT NULL,
    plugin_path text    NOT NULL,
    state       integer NOT NULL,
    error       text    NOT NULL DEFAULT '',
    name        text    NOT NULL,
    description text    NOT NULL,
    version     text    NOT NULL,
    updated_at  bigint  NOT NULL,
    PRIMARY KEY (node_id, plugin_id)
);
