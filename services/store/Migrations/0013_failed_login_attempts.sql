-- Mattermost's failed_attempts: wrong passwords in a row, counted in the database so the lockout
-- (ServiceSettings.MaximumLoginAttempts) holds whichever api node each attempt reaches.
ALTER TABLE users ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;
