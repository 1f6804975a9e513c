-- Applications that sign people in through the portal (OpenID Connect and
-- forward-auth), and the provider's state: authorization requests and
-- their codes, access and refresh tokens (hashes only), and signing keys
-- (sealed under the portal's secret key). Lists are one item a line.
-- The same as SQLite's 0013.
CREATE TABLE applications (
    id                        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id                 TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    secret_hash               BYTEA,
    public                    BOOLEAN NOT NULL,
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL DEFAULT '',
    backchannel_logout_uri    TEXT    NOT NULL DEFAULT '',
    admins_only               BOOLEAN NOT NULL DEFAULT FALSE,
    forward_auth_hosts        TEXT    NOT NULL DEFAULT '',
    disabled_at               BIGINT,
    created_at                BIGINT  NOT NULL
);
CREATE UNIQUE INDEX applications_client_id ON applications (client_id);
CREATE TABLE oidc_auth_requests (
    id              TEXT    PRIMARY KEY,
    client_id       TEXT    NOT NULL,
    params          TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    user_id         BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    auth_time       BIGINT,
    amr             TEXT    NOT NULL DEFAULT '',
    code_hash       BYTEA,
    code_expires_at BIGINT,
    code_used_at    BIGINT 
);
CREATE UNIQUE INDEX oidc_auth_requests_code_hash ON oidc_auth_requests (code_hash);
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires_at);
CREATE TABLE oidc_tokens (
    hash       BYTEA   PRIMARY KEY,
    kind       TEXT    NOT NULL,
    family     TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    audience   TEXT    NOT NULL,
    auth_time  BIGINT  NOT NULL,
    amr        TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT 
);
CREATE INDEX oidc_tokens_family ON oidc_tokens (family);
CREATE INDEX oidc_tokens_user ON oidc_tokens (user_id, client_id);
CREATE INDEX oidc_tokens_expires ON oidc_tokens (expires_at);
CREATE TABLE oidc_keys (
    id         TEXT    PRIMARY KEY,
    algorithm  TEXT    NOT NULL,
    sealed     BYTEA   NOT NULL,
    created_at BIGINT  NOT NULL,
    use_from   BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
