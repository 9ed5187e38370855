-- A post bumps its channel (last_post_at, total_msg_count) when its transaction commits, not when it is inserted.
-- The posting transaction also records the post's WebSocket event (the outbox), a round trip after the insert;
-- taking the channel's row lock at the insert would hold it across that round trip and the commit, and serialise
-- a busy channel's posts on it. Deferred to the commit, the lock is held only while the commit is flushed.
-- greatest(): concurrent posts may commit out of create_at order; last_post_at never moves backwards.
CREATE FUNCTION bump_channel_for_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE channels
    SET last_post_at = greatest(last_post_at, NEW.create_at), total_msg_count = total_msg_count + 1
    WHERE id = NEW.channel_id;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER posts_bump_channel AFTER INSERT ON posts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_channel_for_post();
