-- The session_cleanup job finds ended sessions by expiry, and idle web sessions (no device id) by last activity.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_web_last_activity_at ON sessions (last_activity_at) WHERE device_id = '';
