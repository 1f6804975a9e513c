-- Back-channel logouts still to send: an application with a
-- back-channel logout URI must be told that the person (subject, the sub
-- it knows them by) logged out. Written with the revocation of their
-- tokens, in one transaction; deleted once sent or given up. The same as
-- SQLite's 0009.
CREATE TABLE oidc_logouts (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX oidc_logouts_due ON oidc_logouts (next_attempt_at);
