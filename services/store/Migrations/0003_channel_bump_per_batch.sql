-- Posts are now inserted in batches (one transaction per group commit, see PostStore.CreateManyAsync), which bumps
-- each channel of the batch once, after locking the channels in id order. The per-row trigger of 0002 would bump a
-- channel once per post and lock channels in arrival order, which lets two batches deadlock.
DROP TRIGGER posts_bump_channel ON posts;
DROP FUNCTION bump_channel_for_post();
