-- The algorithm an application's ID tokens are signed with: '' (RS256,
-- as OpenID Connect requires every provider to offer) or 'ES256'. The
-- same as SQLite's 0010.
ALTER TABLE applications ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT '';
