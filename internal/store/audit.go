package store

import (
	"context"
	"time"
)

// AuditEvent is one entry of the append-only audit log.
type AuditEvent struct {
	ID        int64
	Time      time.Time // UTC
	Event     string    // e.g. "login.password", "code.sent", "phone.changed"
	Outcome   string    // "success", "failure", or a short reason
	ActorID   int64     // 0 when unknown (e.g. a failed login for no such email)
	SubjectID int64     // the account the event is about; 0 when unknown
	IP        string
	UserAgent string
	Detail    string // masked destination, channel, reason; never a code or password
}

// AuditQuery selects events of the audit log, newest first.
type AuditQuery struct {
	UserID int64     // events whose subject or actor is this user; 0: all
	Event  string    // exact event name, or a prefix ending in "." ("login."); empty: all
	Since  time.Time // inclusive; zero: no bound
	Until  time.Time // exclusive; zero: no bound
	// BeforeID continues the list below this event id (keyset paging);
	// 0 starts at the newest.
	BeforeID int64
	Limit    int // at most this many; 0 means 50
}

// Audit is the append-only audit log.
type Audit interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// AuditForUser returns the newest events whose subject or actor is the
	// user, newest first.
	AuditForUser(ctx context.Context, userID int64, limit int) ([]AuditEvent, error)
	// ListAudit returns events matching q, newest (highest id) first. It
	// stays fast on millions of rows: every filter is served by an index.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
}
