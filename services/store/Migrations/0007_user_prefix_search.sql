-- Prefix matches for user autocomplete and search (GET /users/autocomplete, POST /users/search): `LIKE 'term%'`
-- on the username, the email and the lower-cased names. text_pattern_ops indexes serve such prefixes whatever the
-- database's collation; usernames and emails are stored in lower case already.
CREATE INDEX users_username_prefix ON users (username text_pattern_ops);
CREATE INDEX users_email_prefix ON users (email text_pattern_ops);
CREATE INDEX users_nickname_prefix ON users (lower(nickname) text_pattern_ops);
CREATE INDEX users_first_name_prefix ON users (lower(first_name) text_pattern_ops);
CREATE INDEX users_last_name_prefix ON users (lower(last_name) text_pattern_ops);
