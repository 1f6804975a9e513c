-- When the account's login before the session's own was completed, for
-- the home page's "Previous login" (a login that was not the person's
-- shows there). Kept on the session, set when its login completes: the
-- account's last_login_at is by then this very login, and moves again
-- with every login elsewhere and every step up. NULL: there was none.
-- A session logged in before this column existed gets the newest
-- completed login of its account that the audit log has from before the
-- session began. The same as PostgreSQL's 0012.
ALTER TABLE sessions ADD COLUMN previous_login_at INTEGER;
UPDATE sessions SET previous_login_at = (
    SELECT max(a.time) FROM audit_events a
    WHERE a.subject_id = sessions.user_id AND a.event = 'login' AND a.outcome = 'success'
        AND a.time < sessions.created_at)
WHERE stage = 'full';
