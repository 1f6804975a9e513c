-- When the session last proved a one-time code, kept apart from when it
-- last proved the password (authenticated_at): administration needs both
-- recent, and typing the password again must not make an old code look
-- fresh. NULL: never. A session that proved a code before this column
-- existed did so when it was created or later: created_at never makes it
-- look fresher than it is.
ALTER TABLE sessions ADD COLUMN code_at INTEGER;
UPDATE sessions SET code_at = created_at WHERE mfa;
