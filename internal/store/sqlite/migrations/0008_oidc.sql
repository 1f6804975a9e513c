-- Applications that sign people in through the portal (OpenID Connect and
-- forward-auth), and the provider's state: authorization requests and
-- their codes, access and refresh tokens (hashes only), and signing keys
-- (sealed under the portal's secret key). Lists are one item a line.
CREATE TABLE applications (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id                 TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    secret_hash               BLOB,
    public                    BOOLEAN NOT NULL,
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL DEFAULT '',
    backchannel_logout_uri    TEXT    NOT NULL DEFAULT '',
    admins_only               BOOLEAN NOT NULL DEFAULT FALSE,
    forward_auth_hosts        TEXT    NOT NULL DEFAULT '',
    disabled_at               INTEGER,
    created_at                INTEGER NOT NULL
);
CREATE UNIQUE INDEX applications_client_id ON applications (client_id);
CREATE TABLE oidc_auth_requests (
    id              TEXT    PRIMARY KEY,
    client_id       TEXT    NOT NULL,
    params          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    auth_time       INTEGER,
    amr             TEXT    NOT NULL DEFAULT '',
    code_hash       BLOB,
    code_expires_at INTEGER,
    code_used_at    INTEGER
);
CREATE UNIQUE INDEX oidc_auth_requests_code_hash ON oidc_auth_requests (code_hash);
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires_at);
CREATE TABLE oidc_tokens (
    hash       BLOB    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    family     TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    audience   TEXT    NOT NULL,
    auth_time  INTEGER NOT NULL,
    amr        TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
CREATE INDEX oidc_tokens_family ON oidc_tokens (family);
CREATE INDEX oidc_tokens_user ON oidc_tokens (user_id, client_id);
CREATE INDEX oidc_tokens_expires ON oidc_tokens (expires_at);
CREATE TABLE oidc_keys (
    id         TEXT    PRIMARY KEY,
    algorithm  TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    use_from   INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
