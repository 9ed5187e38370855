-- The client's own id for an upload (client_ids on POST /files). While an upload is unattached, a second upload with
-- the same id by the same user into the same channel is the same upload sent again (its answer was lost, or its node
-- died): it answers the first's FileInfo and stores nothing. Once a post claims the file the id is free again.
ALTER TABLE file_infos ADD COLUMN client_id text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX file_infos_client_id ON file_infos (creator_id, channel_id, client_id)
    WHERE client_id <> '' AND post_id = '' AND delete_at = 0;
