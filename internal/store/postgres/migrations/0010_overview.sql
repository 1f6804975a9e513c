-- The console's Overview page counts a span of time (an hour, a day, a
-- week) of codes sent, codes used and audit events. Each index begins
-- with the time and holds every column the count groups by, so that the
-- count is an index-only scan of one range. The same as SQLite's 0010.
CREATE INDEX messages_overview ON messages (created_at) INCLUDE (channel, status, provider, destination, updated_at, challenge_id);
CREATE INDEX challenges_overview ON challenges (created_at) INCLUDE (channel, consumed_at, destination);
-- Budget refusals, lockouts and logins: one range for each event and
-- outcome (code.sent also holds every code queued, which is not counted).
CREATE INDEX audit_events_overview ON audit_events (event, outcome, time);
