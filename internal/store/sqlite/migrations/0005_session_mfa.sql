-- Whether a session proved a one-time code. A session that logged in
-- with the password alone (MFA off for the account at the time) ends as
-- soon as MFA applies to the account again, e.g. when an administrator's
-- temporary disable runs out.
ALTER TABLE sessions ADD COLUMN mfa BOOLEAN NOT NULL DEFAULT FALSE;
