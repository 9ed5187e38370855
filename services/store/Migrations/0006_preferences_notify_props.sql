-- Users' preferences (Mattermost's Preferences: one value per user, category and name) and their notification
-- settings.
CREATE TABLE preferences (
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category text NOT NULL,
    name     text NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (user_id, category, name)
);

-- Existing users get Mattermost's defaults (User.SetDefaultNotifications); new users get them from the server, which
-- writes the column on every insert.
ALTER TABLE users ADD COLUMN IF NOT EXISTS notify_props jsonb NOT NULL DEFAULT
    '{"channel": "true", "comments": "never", "desktop": "mention", "desktop_sound": "true", "desktop_threads": "all",
      "email": "true", "email_threads": "all", "first_name": "false", "mention_keys": "", "push": "mention",
      "push_status": "online", "push_threads": "all"}';
ALTER TABLE users ALTER COLUMN notify_props DROP DEFAULT;
