-- The durable outbox: every SMS and email, written in the same transaction
-- as the code it carries and sent by a dispatcher. The content is sealed
-- (encrypted with the portal's key) and erased once the message is final.
-- The same as SQLite's 0004.
CREATE TABLE messages (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    challenge_id    BIGINT  REFERENCES challenges (id) ON DELETE SET NULL,
    channel         TEXT    NOT NULL,
    destination     TEXT    NOT NULL,
    sealed          BYTEA,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    lease_until     BIGINT,
    expires_at      BIGINT,
    provider        TEXT    NOT NULL DEFAULT '',
    provider_ref    TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    ip              TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
-- What a dispatcher looks for: due queued messages, and expired leases.
CREATE INDEX messages_due ON messages (status, next_attempt_at);
CREATE INDEX messages_lease ON messages (status, lease_until);
CREATE INDEX messages_challenge ON messages (challenge_id);
CREATE INDEX messages_provider_ref ON messages (provider, provider_ref);
-- Budgets: per destination, per client address, and in all, over time.
CREATE INDEX messages_destination_created ON messages (channel, destination, created_at);
CREATE INDEX messages_ip_created ON messages (channel, ip, created_at);
CREATE INDEX messages_channel_created ON messages (channel, created_at);
