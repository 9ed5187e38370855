-- Background jobs in Mattermost's shape (timestamps are epoch milliseconds, by the database clock), the leader
-- record of the embedded scheduler, and data retention policies.
CREATE TABLE jobs (
    id               text    PRIMARY KEY,
    type             text    NOT NULL,
    priority         bigint  NOT NULL DEFAULT 0,
    create_at        bigint  NOT NULL,
    start_at         bigint  NOT NULL DEFAULT 0,
    last_activity_at bigint  NOT NULL DEFAULT 0,
    status           text    NOT NULL,
    progress         bigint  NOT NULL DEFAULT 0,
    data             jsonb   NOT NULL DEFAULT '{}',
    -- Start of the schedule slot (ms) a scheduled job was created for; NULL for jobs created through the API.
    -- Unique per type: however often a slot is fired (duplicate reminders, a new leader), it gets one job.
    schedule_slot    bigint,
    -- The claim of the worker running it: node id and attempt; a worker's writes must still match them.
    worker           text    NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX jobs_type_slot ON jobs (type, schedule_slot) WHERE schedule_slot IS NOT NULL;
CREATE INDEX jobs_create_at ON jobs (create_at DESC);
CREATE INDEX jobs_type_create_at ON jobs (type, create_at DESC);
CREATE INDEX jobs_active ON jobs (status) WHERE status IN ('pending', 'in_progress', 'cancel_requested');

-- When each recurring type was first scheduled: its first slot is the first one after that, not one in the past.
CREATE TABLE job_schedules (
    type     text   PRIMARY KEY,
    since_ms bigint NOT NULL
);

-- Nodes standing for scheduler leadership (JobSettings.RunScheduler), with a heartbeat of their own: the leader
-- timeout is shorter than cluster_discovery's down threshold, so a SIGKILLed leader is replaced within seconds.
CREATE TABLE job_scheduler_candidates (
    node_id      text        PRIMARY KEY,
    cluster_name text        NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- One row per cluster: who leads and since which epoch. Taking over raises the epoch (compare-and-set); every
-- scheduling write checks node and epoch under FOR SHARE in its own transaction, so a deposed leader's writes
-- fail and a takeover waits for a write in flight.
CREATE TABLE job_leader (
    cluster_name text        PRIMARY KEY,
    node_id      text        NOT NULL,
    epoch        bigint      NOT NULL,
    since        timestamptz NOT NULL DEFAULT now()
);

-- Mattermost's granular data retention policies: a channel's policy wins over its team's, which wins over the
-- global setting (DataRetentionSettings). post_duration is in days; below 0 keeps posts for ever.
CREATE TABLE retention_policies (
    id            text   PRIMARY KEY,
    display_name  text   NOT NULL,
    post_duration bigint NOT NULL
);
CREATE TABLE retention_policy_teams (
    policy_id text NOT NULL REFERENCES retention_policies (id) ON DELETE CASCADE,
    team_id   text PRIMARY KEY
);
CREATE TABLE retention_policy_channels (
    policy_id  text NOT NULL REFERENCES retention_policies (id) ON DELETE CASCADE,
    channel_id text PRIMARY KEY
);

-- The retention job walks expired posts by age, the export by its (update_at, id) cursor.
CREATE INDEX posts_create_at ON posts (create_at);
CREATE INDEX posts_update_at_id ON posts (update_at, id);
