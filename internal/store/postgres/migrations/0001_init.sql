-- Initial schema: the same tables, columns and indexes as SQLite's 0001,
-- holding the same values. Times are unix milliseconds (UTC) in BIGINT
-- columns; NULL stands for the zero time.Time ("not set").
--
-- Emails compare, sort and change case as in SQLite: byte by byte, with
-- lower() changing ASCII letters only (COLLATE "C"), whatever the
-- database's locale. So the users' list has the same order on both engines
-- and the same emails count as one.

-- Accounts. Emails are unique whatever their case.
CREATE TABLE users (
    id                  BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused: audit events refer to it
    email               TEXT    COLLATE "C" NOT NULL,
    name                TEXT    NOT NULL DEFAULT '',
    password_hash       TEXT    NOT NULL DEFAULT '',
    admin               BOOLEAN NOT NULL DEFAULT FALSE,
    phone               TEXT    NOT NULL DEFAULT '',
    mfa                 TEXT    NOT NULL DEFAULT '',
    mfa_disabled_until  BIGINT,
    code_failures       INTEGER NOT NULL DEFAULT 0,
    code_locked_until   BIGINT,
    deactivated         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT  NOT NULL,
    last_login_at       BIGINT
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Server-side sessions, keyed by the SHA-256 of their token.
CREATE TABLE sessions (
    token_hash        BYTEA   PRIMARY KEY,
    user_id           BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage             TEXT    NOT NULL,
    attempt_id        TEXT    NOT NULL DEFAULT '',
    pending_phone     TEXT    NOT NULL DEFAULT '',
    created_at        BIGINT  NOT NULL,
    last_seen_at      BIGINT  NOT NULL,
    authenticated_at  BIGINT,
    ip                TEXT    NOT NULL DEFAULT '',
    user_agent        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- One-time codes; only a keyed hash of each code is kept.
CREATE TABLE challenges (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempt_id   TEXT    NOT NULL,
    purpose      TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    destination  TEXT    NOT NULL,
    code_hash    BYTEA   NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    consumed_at  BIGINT,
    voided_at    BIGINT,
    undelivered_at BIGINT,
    ip           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX challenges_user_attempt_purpose ON challenges (user_id, attempt_id, purpose);
CREATE INDEX challenges_user_created ON challenges (user_id, created_at);
CREATE INDEX challenges_destination_created ON challenges (destination, created_at);

-- Failure counters that slow down guessing, e.g. "password:ip:192.0.2.1".
CREATE TABLE throttles (
    key           TEXT    PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  BIGINT  NOT NULL,
    locked_until  BIGINT
);

-- The append-only audit log. Actor and subject are 0 when unknown; they are
-- not foreign keys, so that the log outlives the accounts it mentions.
-- Event names compare byte by byte (COLLATE "C"), as in SQLite, so that a
-- prefix such as "login." is the range from "login." to "login/".
CREATE TABLE audit_events (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time        BIGINT  NOT NULL,
    event       TEXT    COLLATE "C" NOT NULL,
    outcome     TEXT    NOT NULL DEFAULT '',
    actor_id    BIGINT  NOT NULL DEFAULT 0,
    subject_id  BIGINT  NOT NULL DEFAULT 0,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_subject_id_time ON audit_events (subject_id, time);
CREATE INDEX audit_events_actor_id_time ON audit_events (actor_id, time);

-- Portal-wide settings.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- The one-time token that lets the first administrator be created. A table
-- of its own (at most one row), so that the generic settings cannot read or
-- overwrite it.
CREATE TABLE setup_token (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    token_hash  BYTEA   NOT NULL
);
