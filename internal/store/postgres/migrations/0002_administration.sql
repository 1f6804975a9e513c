-- Administration console: single-use emailed links, and the indexes that
-- keep the users' list and the audit log fast when they are large. The same
-- as SQLite's 0002.

-- Password-reset and invitation links; only the SHA-256 of each secret is
-- kept. A used token stays (used_at set) until its user goes.
CREATE TABLE tokens (
    hash        BYTEA   PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX tokens_user_purpose ON tokens (user_id, purpose);

-- The active administrators, few among many users: SetAdmin and
-- SetDeactivated look for another one before taking the last one away.
CREATE INDEX users_active_admins ON users (id) WHERE admin AND NOT deactivated;

-- The users' list, in email order; it holds what a search looks at. The
-- email column's collation is "C", so is lower(email)'s: byte order.
CREATE INDEX users_list ON users (lower(email), name, email, phone);

-- The audit log is read newest (highest id) first: a page is a walk down
-- an index that ends in id, which stops when the page is full. A time range
-- is turned into a span of ids through the index on time.
CREATE INDEX audit_events_subject_id_id ON audit_events (subject_id, id);
CREATE INDEX audit_events_actor_id_id ON audit_events (actor_id, id);
CREATE INDEX audit_events_event_id ON audit_events (event, id);
CREATE INDEX audit_events_time ON audit_events (time);
