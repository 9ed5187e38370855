-- Full-text search over posts (POST /api/v4/teams/{id}/posts/search). The vector is written with the post and
-- its edits (PostStore); the search_indexing job fills it for posts that have none (older rows, or all rows after
-- the text search configuration changed). Posts without a vector are not found until the job has run.
ALTER TABLE posts ADD COLUMN search_vector tsvector;
CREATE INDEX posts_search_vector ON posts USING gin (search_vector);
-- The job's work list: posts not indexed yet, in id order.
CREATE INDEX posts_unindexed ON posts (id) WHERE search_vector IS NULL;
