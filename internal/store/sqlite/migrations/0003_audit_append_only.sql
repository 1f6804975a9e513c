-- The audit log is append-only: the application never changes or removes
-- an entry, and the database refuses it too, so a bug or a stray query
-- cannot rewrite history.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
